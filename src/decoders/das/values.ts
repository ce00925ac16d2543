/**
 * Narrowing DAS field values, which engines type differently (numbers vs strings, null vs `""`).
 */
import type { Json } from '../../model/json.js';

/** Text, or null for null/absent/`""`. Aurora MySQL and SQL Server write `""` where PostgreSQL writes null. */
export function text(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}

/** An identifier (pid, sessionId, statementId, port, exitCode…) as a string, whatever JSON type it came as. */
export const idText = text;

/** A row count: a JSON number or a numeric string (the AWS Java sample types it as a string). */
export function count(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())) return Number(v.trim());
  return null;
}

/** A transaction id; `"0"` and all-zero ids (Oracle `0000000000000000`) mean "no transaction". */
export function transactionIdOf(v: unknown): string | null {
  const t = text(v);
  if (t === null || /^0+$/.test(t.trim())) return null;
  return t;
}

/** A JSON value that came from JSON.parse: safe to keep as Json. */
export function json(v: unknown): Json {
  return v === undefined ? null : (v as Json);
}

export function isNonEmptyObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
}
