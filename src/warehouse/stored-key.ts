/**
 * A change's key, stored once (docs/warehouse.md "Storing each fact once"). Nearly every key is a copy of
 * some columns of the row image, and `key_text` already names those columns. So where the key is exactly
 * the image's values of its columns, the sink leaves `changes.key` NULL and every reader derives it back
 * from `key_text` and the image, with the one SQL expression below: the read side's column list
 * (queries/change-record.ts) and the ledger's canonical bytes (ledger/canonical.ts) both use it, so a
 * derived key reads, hashes and verifies as the stored key it replaces.
 */
import type { ChangeEvent } from '../model/events.js';

/** The image the key is taken from: after, or before when there is no after (a delete). */
const imageOf = (e: ChangeEvent) => e.after ?? e.before;

/**
 * Whether the stored key can be left NULL: the key has columns, each a JSON scalar equal (===) to the
 * image's value of that column. jsonb of equal scalars is equal, and jsonb orders an object's keys itself,
 * so the derived object is the same jsonb as the key (test/integration/stored-key.test.ts holds them equal).
 * Anything else (a record key the image does not repeat, a missing column, an object value) is stored.
 */
export function keyIsDerivable(e: ChangeEvent): boolean {
  const image = imageOf(e);
  if (!image) return false;
  let columns = 0;
  for (const c in e.key) {
    const v = e.key[c];
    if (v !== null && typeof v === 'object') return false;
    if (!Object.prototype.hasOwnProperty.call(image, c) || image[c] !== v) return false;
    columns++;
  }
  return columns > 0;
}

/**
 * SQL: the key of the change row aliased `alias`, as stored or derived. `key_text` is a JSON array of
 * [column, text] pairs (src/model/row-key.ts keyText); only its column names are used here.
 */
export const storedKeySql = (alias: string): string =>
  `coalesce(${alias}.key, (select jsonb_object_agg(k.p->>0, coalesce(${alias}.after, ${alias}.before)->(k.p->>0))` +
  ` from jsonb_array_elements(${alias}.key_text::jsonb) k(p)))`;
