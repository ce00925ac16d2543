/**
 * The authorization policy (docs/security.md "Policy file"): per role, which tables it sees, how row values
 * are masked, how statements are shown, and which root fields it may use. Immutable once loaded.
 */
export const MASK_METHODS = ['redact', 'hash', 'partial', 'null', 'absent'] as const;
export type MaskMethod = (typeof MASK_METHODS)[number];

export const STATEMENT_POLICIES = ['raw', 'digest', 'none'] as const;
export type StatementPolicy = (typeof STATEMENT_POLICIES)[number];

export interface MaskRule {
  /** Globs over `database.schema.table.column` (`*` within a part, `**` across parts). */
  readonly columns: readonly string[];
  readonly with: MaskMethod;
}

export interface RolePolicy {
  readonly name: string;
  /** Globs over `database.schema.table` the role may see (MySQL has no schema: `db..table`). */
  readonly tables: readonly string[];
  /** First matching rule wins. */
  readonly mask: readonly MaskRule[];
  readonly statements: StatementPolicy;
  /** Columns no rule names are masked with `redact`. */
  readonly privacyByDefault: boolean;
  /** Root fields the role may use, globs over `Query.<field>` / `Subscription.<field>`. */
  readonly fields: readonly string[];
}

export interface Policy {
  readonly roles: ReadonlyMap<string, RolePolicy>;
  /** The HMAC key of `hash` masking (AUDITQL_MASK_KEY_FILE); null: no role may use `hash`. */
  readonly maskKey: Buffer | null;
}

/** Column-name fragments that look like personal data (the analyst and siem built-ins mask them). */
export const PII_PATTERNS = ['email', 'phone', 'ssn', 'card', 'password', 'token', 'secret', 'iban', 'address'] as const;

const PII_RULE: MaskRule = Object.freeze({ columns: Object.freeze(PII_PATTERNS.map((p) => `**.*${p}*`)), with: 'redact' });
/** Operators' fields: the access audit and the forwarders' state (admin and auditor only, unless a policy says). */
const API_ACCESS_FIELDS = ['Query.apiAccess', 'Subscription.apiAccessAdded', 'Query.forwarders'];
export const ALL_BUT_ACCESS: readonly string[] = Object.freeze(['Query.*', 'Subscription.*', ...API_ACCESS_FIELDS.map((f) => `!${f}`)]);

const role = (r: RolePolicy): RolePolicy => Object.freeze(r);

/** admin: everything; auditor: reads everything, raw statements; analyst: PII masked, digests; siem: feeds. */
export const BUILTIN_ROLES: readonly RolePolicy[] = Object.freeze([
  role({ name: 'admin', tables: ['**'], mask: [], statements: 'raw', privacyByDefault: false, fields: ['Query.*', 'Subscription.*'] }),
  role({ name: 'auditor', tables: ['**'], mask: [], statements: 'raw', privacyByDefault: false, fields: ['Query.*', 'Subscription.*'] }),
  role({ name: 'analyst', tables: ['**'], mask: [PII_RULE], statements: 'digest', privacyByDefault: false, fields: ALL_BUT_ACCESS }),
  role({
    name: 'siem', tables: ['**'], mask: [PII_RULE], statements: 'digest', privacyByDefault: false,
    fields: ['Subscription.*', '!Subscription.apiAccessAdded', 'Query.activityByUser', 'Query.activity', 'Query.activities'],
  }),
]);
