/** One real API key per role, named `<role>-key`, stored in the test's warehouse: role → the key to send. */
import { newApiKey } from '../../src/auth/api-key-secret.js';
import { insertApiKey } from '../../src/warehouse/queries/api-keys.js';
import type { TestWarehouse } from '../helpers/db.js';
import { loadAuthConfig } from '../../src/config/auth.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import type { Policy } from '../../src/policy/policy.js';
import { silentLogger } from '../../src/log.js';

export async function roleKeys(w: TestWarehouse, roles: readonly string[]): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const role of roles) {
    const k = await newApiKey();
    await insertApiKey(w.db, { keyId: k.keyId, name: `${role}-key`, role, secretHash: k.secretHash });
    keys[role] = k.key;
  }
  return keys;
}

/** The API server on 127.0.0.1 with API-key authentication over `policy`'s roles. */
export function startWithKeys(w: TestWarehouse, policy: Policy): Promise<ApiServer> {
  return startApiServer({
    warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, policy,
    auth: { mode: 'verify', authenticator: createAuthenticator({ config: loadAuthConfig({}), db: w.db, roles: new Set(policy.roles.keys()) }) },
  });
}
