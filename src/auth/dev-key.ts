/**
 * The `npm start` demo's development admin key (docs/security.md "The demo"): created once, kept in the data
 * directory (mode 0600) so later starts reuse it, replaced when it was revoked or the file lost.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Warehouse } from '../warehouse/tables.js';
import { apiKeyById, insertApiKey, revokeApiKey } from '../warehouse/queries/api-keys.js';
import { newApiKey, parseApiKey, verifySecret } from './api-key-secret.js';

export const DEV_KEY_NAME = 'dev-admin';

export async function ensureDevAdminKey(db: Kysely<Warehouse>, dataDir: string): Promise<{ key: string; created: boolean }> {
  const file = join(dataDir, 'dev-admin-key');
  let saved: string | null = null;
  try {
    saved = readFileSync(file, 'utf8').trim();
  } catch {
    // none yet
  }
  const parsed = saved ? parseApiKey(saved) : null;
  if (saved && parsed) {
    const row = await apiKeyById(db, parsed.keyId);
    if (row && !row.revokedAt && row.role === 'admin' && (await verifySecret(parsed.secret, row.secretHash))) return { key: saved, created: false };
  }
  await revokeApiKey(db, DEV_KEY_NAME);
  const k = await newApiKey();
  await insertApiKey(db, { keyId: k.keyId, name: DEV_KEY_NAME, role: 'admin', secretHash: k.secretHash });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, k.key + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key: k.key, created: true };
}
