/**
 * `AUDITQL_POLICY` (a JSON file) over the built-in roles, validated once: an error names the bad key
 * (`roles.analyst.mask[1].with`). A role in the file replaces the built-in role of that name.
 */
import { readFileSync } from 'node:fs';
import { AuditqlError, ErrorCode } from '../errors.js';
import { ALL_BUT_ACCESS, APP_CONTEXT_POLICIES, BUILTIN_ROLES, MASK_METHODS, NO_ROLE_LIMITS, STATEMENT_POLICIES, type MaskRule, type Policy, type RateLimit, type RolePolicy } from './policy.js';

const bad = (key: string, message: string) => new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_POLICY: ${key}: ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const GLOB = /^!?[A-Za-z0-9_*.$@:-]+$/;

function only(o: Record<string, unknown>, key: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw bad(`${key}.${k}`, `unknown key (expected ${allowed.join(', ')})`);
}

function globs(v: unknown, key: string, parts: number | null): string[] {
  if (!Array.isArray(v) || v.some((g) => typeof g !== 'string')) throw bad(key, 'expected an array of glob strings');
  return (v as string[]).map((g, i) => {
    if (!GLOB.test(g)) throw bad(`${key}[${i}]`, `${JSON.stringify(g)} is not a glob (letters, digits, _ $ @ : - . * and a leading !)`);
    const n = g.replace(/^!/, '').split('.').length;
    if (parts !== null && !g.includes('**') && n !== parts) {
      throw bad(`${key}[${i}]`, `${JSON.stringify(g)} has ${n} part(s); expected ${parts} (${parts === 3 ? 'database.schema.table' : 'database.schema.table.column'}) or a **`);
    }
    return g;
  });
}

function maskRules(v: unknown, key: string): MaskRule[] {
  if (!Array.isArray(v)) throw bad(key, 'expected an array of {"columns": [...], "with": "..."}');
  return v.map((r, i) => {
    const k = `${key}[${i}]`;
    if (!isObject(r)) throw bad(k, 'expected {"columns": [...], "with": "..."}');
    only(r, k, ['columns', 'with']);
    if (!MASK_METHODS.includes(r.with as never)) throw bad(`${k}.with`, `expected one of ${MASK_METHODS.join(', ')}`);
    return Object.freeze({ columns: Object.freeze(globs(r.columns, `${k}.columns`, 4)), with: r.with as MaskRule['with'] });
  });
}

function positive(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(key, 'expected a whole number of at least 1');
  return v;
}

function rateLimit(v: unknown, key: string): RateLimit | null {
  if (v === null) return null;
  if (!isObject(v)) throw bad(key, 'expected {"perSecond": N, "burst": N} or null');
  only(v, key, ['perSecond', 'burst']);
  if (typeof v.perSecond !== 'number' || !(v.perSecond > 0) || !Number.isFinite(v.perSecond)) throw bad(`${key}.perSecond`, 'expected a number above 0');
  return Object.freeze({ perSecond: v.perSecond, burst: positive(v.burst, `${key}.burst`) });
}

function operationHashes(v: unknown, key: string): readonly string[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) throw bad(key, 'expected an array of "sha256:<64 hex digits>" or null');
  return Object.freeze(v.map((h, i) => {
    if (typeof h !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(h)) throw bad(`${key}[${i}]`, 'expected "sha256:" and the 64 lowercase hex digits of the document\'s SHA-256');
    return h;
  }));
}

function rolePolicy(name: string, v: unknown, base: RolePolicy | undefined): RolePolicy {
  const key = `roles.${name}`;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) throw bad(key, 'a role name is a letter then letters, digits, _ or - (at most 64)');
  if (!isObject(v)) throw bad(key, 'expected an object');
  only(v, key, ['tables', 'mask', 'statements', 'privacyByDefault', 'fields', 'maxPageSize', 'maxDepth', 'maxCost', 'rateLimit', 'adHoc', 'operations', 'appContext']);
  if (v.appContext !== undefined && !APP_CONTEXT_POLICIES.includes(v.appContext as never)) {
    throw bad(`${key}.appContext`, `expected one of ${APP_CONTEXT_POLICIES.join(', ')}`);
  }
  if (v.adHoc !== undefined && typeof v.adHoc !== 'boolean') throw bad(`${key}.adHoc`, 'expected true or false');
  const limit = (k: 'maxPageSize' | 'maxDepth' | 'maxCost') =>
    v[k] === undefined ? (base?.limits ?? NO_ROLE_LIMITS)[k] : v[k] === null ? null : positive(v[k], `${key}.${k}`);
  if (v.statements !== undefined && !STATEMENT_POLICIES.includes(v.statements as never)) {
    throw bad(`${key}.statements`, `expected one of ${STATEMENT_POLICIES.join(', ')}`);
  }
  if (v.privacyByDefault !== undefined && typeof v.privacyByDefault !== 'boolean') throw bad(`${key}.privacyByDefault`, 'expected true or false');
  return Object.freeze({
    name,
    tables: Object.freeze(v.tables === undefined ? (base?.tables ?? ['**']) : globs(v.tables, `${key}.tables`, 3)),
    mask: Object.freeze(v.mask === undefined ? (base?.mask ?? []) : maskRules(v.mask, `${key}.mask`)),
    statements: (v.statements as RolePolicy['statements'] | undefined) ?? base?.statements ?? 'digest',
    privacyByDefault: (v.privacyByDefault as boolean | undefined) ?? base?.privacyByDefault ?? false,
    fields: Object.freeze(v.fields === undefined ? (base?.fields ?? ALL_BUT_ACCESS) : globs(v.fields, `${key}.fields`, 2)),
    adHoc: (v.adHoc as boolean | undefined) ?? base?.adHoc ?? true,
    appContext: (v.appContext as RolePolicy['appContext'] | undefined) ?? base?.appContext ?? 'raw',
    operations: v.operations === undefined ? (base?.operations ?? null) : operationHashes(v.operations, `${key}.operations`),
    limits: Object.freeze({
      maxPageSize: limit('maxPageSize'), maxDepth: limit('maxDepth'), maxCost: limit('maxCost'),
      rateLimit: v.rateLimit === undefined ? (base?.limits ?? NO_ROLE_LIMITS).rateLimit : rateLimit(v.rateLimit, `${key}.rateLimit`),
    }),
  });
}

/** The policy from parsed JSON (`text` for messages) and the mask key, if any. */
export function parsePolicy(doc: unknown, maskKey: Buffer | null): Policy {
  const roles = new Map(BUILTIN_ROLES.map((r) => [r.name, r]));
  if (doc !== null) {
    if (!isObject(doc)) throw bad('(top level)', 'expected an object with "roles"');
    only(doc, '(top level)', ['roles']);
    if (doc.roles !== undefined && !isObject(doc.roles)) throw bad('roles', 'expected an object of role name → role');
    for (const [name, v] of Object.entries((doc.roles as Record<string, unknown> | undefined) ?? {})) roles.set(name, rolePolicy(name, v, roles.get(name)));
  }
  for (const r of roles.values()) {
    r.mask.forEach((m, i) => {
      if (m.with === 'hash' && !maskKey) throw bad(`roles.${r.name}.mask[${i}].with`, '"hash" needs a key: set AUDITQL_MASK_KEY_FILE to a file of at least 32 random bytes');
    });
  }
  return Object.freeze({ roles, maskKey });
}

/** The built-in roles alone, with no `hash` key. */
export const BUILTIN_POLICY: Policy = parsePolicy(null, null);

export function loadPolicy(env: NodeJS.ProcessEnv = process.env): Policy {
  let maskKey: Buffer | null = null;
  if (env.AUDITQL_MASK_KEY_FILE) {
    try {
      maskKey = readFileSync(env.AUDITQL_MASK_KEY_FILE);
    } catch (err) {
      throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_MASK_KEY_FILE=${JSON.stringify(env.AUDITQL_MASK_KEY_FILE)}: cannot read it (${(err as NodeJS.ErrnoException).code})`);
    }
    if (maskKey.length < 32) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'AUDITQL_MASK_KEY_FILE: the key must be at least 32 bytes');
  }
  if (!env.AUDITQL_POLICY) return parsePolicy(null, maskKey);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(env.AUDITQL_POLICY, 'utf8'));
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_POLICY=${JSON.stringify(env.AUDITQL_POLICY)}: ${(err as NodeJS.ErrnoException).code ? `cannot read it (${(err as NodeJS.ErrnoException).code})` : `not JSON (${(err as Error).message})`}`);
  }
  return parsePolicy(doc, maskKey);
}
