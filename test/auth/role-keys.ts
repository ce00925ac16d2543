/** One real API key per role, named `<role>-key`, stored in the test's warehouse: role → the key to send. */
import { newApiKey } from '../../src/auth/api-key-secret.js';
import { insertApiKey } from '../../src/warehouse/queries/api-keys.js';
import type { TestWarehouse } from '../helpers/db.js';

export async function roleKeys(w: TestWarehouse, roles: readonly string[]): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const role of roles) {
    const k = await newApiKey();
    await insertApiKey(w.db, { keyId: k.keyId, name: `${role}-key`, role, secretHash: k.secretHash });
    keys[role] = k.key;
  }
  return keys;
}
