/**
 * The `key` argument: an object of primary-key column → scalar value, matched through the canonical key
 * text (src/model/row-key.ts `keyText`), so `{id: 1001}` and `{id: "1001"}` find the same entity.
 */
import { AuditqlError, ErrorCode } from '../errors.js';
import { isPlainObject } from '../model/json.js';
import { keyText } from '../model/row-key.js';

const MAX_COLUMNS = 32;

export function keyTextOf(key: unknown): string {
  const bad = (why: string) =>
    new AuditqlError(ErrorCode.BAD_KEY, `\`key\` ${why}: pass an object of primary-key columns to scalar values, e.g. {"id": 1001}`);
  if (!isPlainObject(key)) throw bad('is not an object');
  const columns = Object.keys(key);
  if (columns.length === 0) throw bad('has no columns');
  if (columns.length > MAX_COLUMNS) throw bad(`has more than ${MAX_COLUMNS} columns`);
  for (const c of columns) {
    const v = key[c];
    if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
      throw bad('has a value that is not a string, number, boolean or null');
    }
  }
  return keyText(key);
}
