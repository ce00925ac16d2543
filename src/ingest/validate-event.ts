/**
 * What reaches SQL is checked before it reaches SQL: one event PostgreSQL cannot store would fail its whole
 * batch, so such an event is found here and its record dead-lettered instead (docs/warehouse.md "Values
 * PostgreSQL cannot store"). The checks follow the column each field goes to (src/warehouse/columns.ts):
 * - text and text[]: no NUL (U+0000), no lone UTF-16 surrogate, at most MAX_VALUE_CHARS;
 * - bigint: an integer within the int8 range;
 * - timestamptz: a valid date in the years 1–9999 (what the ISO text the sink writes can express);
 * - jsonb: the same for every string and key, finite numbers only (JSON.stringify would silently turn
 *   NaN and Infinity into null), nesting at most MAX_JSON_DEPTH deep, strings and keys together at most
 *   MAX_VALUE_CHARS.
 * The message names the column and the problem, never the value.
 */
import type { AuditEvent } from '../model/events.js';
import { holdsNul, isWellFormed } from '../model/storable-text.js';
import { KIND_TABLES, type ColumnSpec } from '../warehouse/columns.js';
import { textArrayLiteralMaxLength } from '../warehouse/pg-array.js';

/** Deepest JSON nesting stored; deeper values are dead-lettered (JSON.stringify overflows near 5,000). */
export const MAX_JSON_DEPTH = 1000;
/** Largest stored value: 16 Mi characters of text in one column. */
export const MAX_VALUE_CHARS = 16 * 1024 * 1024;

const INT8_LIMIT = 2 ** 63;
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

function textProblem(s: string): string | null {
  if (holdsNul(s)) return 'a NUL character (U+0000), which PostgreSQL text and jsonb cannot store';
  if (!isWellFormed(s)) return 'an unpaired UTF-16 surrogate (not valid Unicode)';
  if (s.length > MAX_VALUE_CHARS) return `more than ${MAX_VALUE_CHARS} characters`;
  return null;
}

/**
 * The array literal's problem, judged on its elements: quoting and escaping add no NUL and split no
 * surrogate pair, so only the literal's length needs the literal, and only when it could be too long.
 */
function textArrayProblem<E>(values: readonly string[], spec: ColumnSpec<E>, e: E): string | null {
  for (const v of values) if (holdsNul(v)) return textProblem(v);
  for (const v of values) if (!isWellFormed(v)) return textProblem(v);
  if (textArrayLiteralMaxLength(values) <= MAX_VALUE_CHARS) return null;
  const cell = spec.get(e);
  return typeof cell === 'string' ? textProblem(cell) : null;
}

function bigintProblem(v: unknown): string | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'a number that is not finite (NaN or Infinity) where an integer goes';
    if (!Number.isInteger(v)) return 'a fraction where an integer goes';
    return Math.abs(v) < INT8_LIMIT ? null : 'an integer outside the bigint range';
  }
  if (typeof v === 'string') {
    if (!/^-?[0-9]{1,19}$/.test(v)) return 'text that is not an integer where an integer goes';
    const n = BigInt(v);
    return n < BigInt(INT8_LIMIT) && n >= -BigInt(INT8_LIMIT) ? null : 'an integer outside the bigint range';
  }
  return null;
}

function dateProblem(v: unknown): string | null {
  if (!(v instanceof Date)) return null;
  const t = v.getTime();
  if (Number.isNaN(t)) return 'an invalid date';
  const year = v.getUTCFullYear();
  return year < MIN_YEAR || year > MAX_YEAR ? `a date outside the years ${MIN_YEAR}–${MAX_YEAR}` : null;
}

/** Walks a JSON value without recursion (a 10,000-deep value must not overflow the stack here). */
function jsonProblem(root: unknown): string | null {
  if (root === null || typeof root !== 'object') return scalarProblem(root);
  const values: unknown[] = [root];
  const depths: number[] = [1];
  let chars = 0;
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (v === null || typeof v !== 'object') {
      const p = scalarProblem(v);
      if (p) return p;
      if (typeof v === 'string' && (chars += v.length) > MAX_VALUE_CHARS) return `more than ${MAX_VALUE_CHARS} characters of text`;
      continue;
    }
    if (v instanceof Date) continue;
    if (depth > MAX_JSON_DEPTH) return `JSON nested more than ${MAX_JSON_DEPTH} levels deep`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) { values.push(v[i]); depths.push(depth + 1); }
      continue;
    }
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      const p = textProblem(k);
      if (p) return `a key with ${p}`;
      chars += k.length;
      values.push((v as Record<string, unknown>)[k]);
      depths.push(depth + 1);
    }
  }
  return null;
}

function scalarProblem(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return textProblem(v);
    case 'number':
      return Number.isFinite(v) ? null : 'a number that is not finite (NaN, Infinity, or beyond a double such as 1e400)';
    case 'bigint':
    case 'function':
    case 'symbol':
      return `a ${typeof v}, which JSON cannot hold`;
    default:
      return null;
  }
}

function cellProblem<E>(spec: ColumnSpec<E>, e: E): string | null {
  switch (spec.type) {
    case 'text': {
      const cell = spec.get(e);
      return typeof cell === 'string' ? textProblem(cell) : null;
    }
    case 'text[]':
      return spec.value ? textArrayProblem(spec.value(e) as readonly string[], spec, e) : null;
    case 'bigint':
      return bigintProblem(spec.get(e));
    case 'timestamptz':
      return spec.value ? dateProblem(spec.value(e)) : null;
    case 'jsonb':
      return spec.value ? jsonProblem(spec.value(e)) : null;
    default:
      return null;
  }
}

/** Why PostgreSQL cannot store this event (naming the column), or null when it can. */
export function unstorable(e: AuditEvent): string | null {
  const position = textProblem(e.position);
  if (position) return `the record's position holds ${position}`;
  const { table, columns } = KIND_TABLES[e.kind];
  for (const spec of columns as readonly ColumnSpec<AuditEvent>[]) {
    const p = cellProblem(spec, e);
    if (p) return `${table}.${spec.column} would hold ${p}`;
  }
  return null;
}
