/**
 * A role's policy compiled for use on every value the API returns (docs/security.md "What is masked
 * where"): which tables it sees, how each column is masked, how statements are shown, which root fields it
 * may use. Built once per policy and role; pure.
 */
import type { Json, JsonRow } from '../model/json.js';
import { globSet, tableName, type GlobSet } from './glob.js';
import { ABSENT, maskValue, type Masked } from './mask-value.js';
import type { AppContextPolicy, MaskMethod, Policy, RolePolicy, StatementPolicy } from './policy.js';
import { errorDigest, statementDigest } from './statement-digest.js';

export interface TableRef {
  readonly database: string | null;
  readonly schema: string | null;
  readonly table: string;
}

export interface RoleView {
  readonly role: string;
  /** Sees every table and masks nothing: values pass untouched. */
  readonly transparent: boolean;
  /** Its table scope is `**`. */
  readonly allTables: boolean;
  readonly statements: StatementPolicy;
  /** How application context (who the application says acted) is shown. */
  readonly appContext: AppContextPolicy;
  seesTable(t: TableRef): boolean;
  /** An activity event: its object's table when it names one, else its database. */
  seesActivity(a: { readonly database: string | null; readonly objectName: string | null }): boolean;
  allowsField(coordinate: string): boolean;
  /** The mask method of a column; null: shown as is. */
  methodOf(t: TableRef, column: string): MaskMethod | null;
  mask(t: TableRef, column: string, value: Json): Masked;
  maskRow(t: TableRef, row: JsonRow | null): JsonRow | null;
  statement(text: string | null): string | null;
  errorMessage(text: string | null): string | null;
}

function compile(r: RolePolicy, key: Buffer | null): RoleView {
  const tables = globSet(r.tables);
  const rules = r.mask.map((m) => ({ columns: globSet(m.columns), with: m.with }));
  const fields = globSet(r.fields);
  // Session events (no object) are seen by roles that see some table of their database.
  const databases: GlobSet = globSet(r.tables.filter((g) => !g.startsWith('!')).map((g) => (g.startsWith('**') ? '**' : g.split('.')[0]!)));
  const methods = new Map<string, MaskMethod | null>();
  const noMasks = rules.length === 0 && !r.privacyByDefault;
  const methodOf = (t: TableRef, column: string): MaskMethod | null => {
    if (noMasks) return null;
    const name = `${tableName(t.database, t.schema, t.table)}.${column}`;
    let m = methods.get(name);
    if (m === undefined) {
      m = rules.find((rule) => rule.columns.matches(name))?.with ?? (r.privacyByDefault ? 'redact' : null);
      if (methods.size < 100_000) methods.set(name, m);
    }
    return m;
  };
  const mask = (t: TableRef, column: string, value: Json): Masked => {
    const m = methodOf(t, column);
    return m === null ? value : maskValue(m, value, key);
  };
  return Object.freeze({
    role: r.name,
    transparent: tables.all && noMasks,
    allTables: tables.all,
    statements: r.statements,
    appContext: r.appContext,
    seesTable: (t: TableRef) => tables.all || tables.matches(tableName(t.database, t.schema, t.table)),
    seesActivity(a: { readonly database: string | null; readonly objectName: string | null }) {
      if (tables.all) return true;
      if (a.objectName) {
        const parts = a.objectName.split('.');
        const table = parts.at(-1)!;
        const schema = parts.length > 1 ? parts.at(-2)! : null;
        return tables.matches(tableName(a.database, schema, table));
      }
      return a.database !== null && databases.matches(a.database);
    },
    allowsField: (coordinate: string) => fields.matches(coordinate),
    methodOf,
    mask,
    maskRow(t: TableRef, row: JsonRow | null): JsonRow | null {
      if (row === null || noMasks) return row;
      const out: Record<string, Json> = {};
      for (const [column, value] of Object.entries(row)) {
        const v = mask(t, column, value);
        if (v !== ABSENT) out[column] = v;
      }
      return out;
    },
    statement(text: string | null): string | null {
      if (text === null || r.statements === 'raw') return text;
      return r.statements === 'digest' ? statementDigest(text) : null;
    },
    errorMessage(text: string | null): string | null {
      if (text === null || r.statements === 'raw') return text;
      return r.statements === 'digest' ? errorDigest(text) : null;
    },
  });
}

const views = new WeakMap<Policy, Map<string, RoleView>>();

/** The view of `role` under `policy`; null when the policy does not define the role. */
export function roleView(policy: Policy, role: string): RoleView | null {
  let byRole = views.get(policy);
  if (!byRole) views.set(policy, (byRole = new Map()));
  let v = byRole.get(role);
  if (!v) {
    const r = policy.roles.get(role);
    if (!r) return null;
    byRole.set(role, (v = compile(r, policy.maskKey)));
  }
  return v;
}
