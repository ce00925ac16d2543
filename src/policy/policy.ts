/**
 * The authorization policy (docs/security.md "Policy file"): per role, which tables it sees, how row values
 * are masked, how statements are shown, and which root fields it may use. Immutable once loaded.
 */
export const MASK_METHODS = ['redact', 'hash', 'partial', 'null', 'absent'] as const;
export type MaskMethod = (typeof MASK_METHODS)[number];

export const STATEMENT_POLICIES = ['raw', 'digest', 'none'] as const;
export type StatementPolicy = (typeof STATEMENT_POLICIES)[number];

export const APP_CONTEXT_POLICIES = ['raw', 'redact'] as const;
export type AppContextPolicy = (typeof APP_CONTEXT_POLICIES)[number];

export interface MaskRule {
  /** Globs over `database.schema.table.column` (`*` within a part, `**` across parts). */
  readonly columns: readonly string[];
  readonly with: MaskMethod;
}

/** A token bucket per principal: `perSecond` requests a second on average, `burst` at once. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** Per-role limits (docs/security.md "Per-role limits"); null: the server's own. */
export interface RoleLimits {
  /** Largest `first`; more is AUDITQL_PAGE_TOO_LARGE (refused, not clamped). */
  readonly maxPageSize: number | null;
  readonly maxDepth: number | null;
  readonly maxCost: number | null;
  /** null: no rate limit. */
  readonly rateLimit: RateLimit | null;
}

export const NO_ROLE_LIMITS: RoleLimits = Object.freeze({ maxPageSize: null, maxDepth: null, maxCost: null, rateLimit: null });

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
  readonly limits: RoleLimits;
  /** May send documents of its own: introspection, GraphiQL (docs/security.md "Persisted operations"). */
  readonly adHoc: boolean;
  /** When set, the only documents the role may send: `sha256:<hex of the document text>`. */
  readonly operations: readonly string[] | null;
  /** `redact`: application context and application users are masked (docs/security.md "Application context"). */
  readonly appContext: AppContextPolicy;
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

const role = (r: Omit<RolePolicy, 'limits' | 'adHoc' | 'operations' | 'appContext'> & Partial<RolePolicy>): RolePolicy =>
  Object.freeze({ limits: NO_ROLE_LIMITS, adHoc: true, operations: null, appContext: 'raw', ...r });
/** People reading by hand: pages and operations of a reasonable size, and no scripted scraping. */
const READER_LIMITS: RoleLimits = Object.freeze({ maxPageSize: 200, maxDepth: 10, maxCost: 20_000, rateLimit: Object.freeze({ perSecond: 20, burst: 40 }) });
/** A connector: subscriptions and a few pages; generous, but bounded. */
const SIEM_LIMITS: RoleLimits = Object.freeze({ maxPageSize: 500, maxDepth: 8, maxCost: 20_000, rateLimit: Object.freeze({ perSecond: 50, burst: 100 }) });

/** admin: everything; auditor: reads everything, raw statements; analyst: PII masked, digests; siem: feeds. */
export const BUILTIN_ROLES: readonly RolePolicy[] = Object.freeze([
  role({ name: 'admin', tables: ['**'], mask: [], statements: 'raw', privacyByDefault: false, fields: ['Query.*', 'Subscription.*'] }),
  role({ name: 'auditor', tables: ['**'], mask: [], statements: 'raw', privacyByDefault: false, fields: ['Query.*', 'Subscription.*'] }),
  role({ name: 'analyst', tables: ['**'], mask: [PII_RULE], statements: 'digest', privacyByDefault: false, fields: ALL_BUT_ACCESS, limits: READER_LIMITS,
    appContext: 'redact' }),
  role({
    name: 'siem', tables: ['**'], mask: [PII_RULE], statements: 'digest', privacyByDefault: false,
    fields: ['Subscription.*', '!Subscription.apiAccessAdded', 'Query.activityByUser', 'Query.activity', 'Query.activities'],
    limits: SIEM_LIMITS,
    adHoc: false,
  }),
]);
