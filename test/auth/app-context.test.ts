/**
 * Application context by role (docs/security.md "Application context"): under `appContext: "redact"`
 * (built in for analyst) `Transaction.context` and evidence `detail` read `{"$masked": "redact"}` and every
 * `appUser` reads null, and the application user appears nowhere in the response; under `raw` they read
 * as stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/graphql/server.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { silentLogger } from '../../src/log.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { attribute, mkChange, mkContext, store } from '../graphql/seed.js';
import { postGraphql } from '../graphql/helpers.js';

const APP_USER = 'carol.app-user@example.com';
const policy = parsePolicy({ roles: { plain: { appContext: 'redact' }, open: { appContext: 'raw' } } }, null);
const Q = `{ transaction(id: "tx9") { context appUser changes { nodes { actor { appUser evidence { appUser detail } } } } } }`;

let w: TestWarehouse;

beforeAll(async () => {
  w = await freshWarehouse();
  const r = await store(w, [mkChange({ table: 'orders', key: { id: 1 }, txId: 'tx9' }), mkContext({ txId: 'tx9', content: { user: APP_USER, requestId: 'r-1' } })]);
  await attribute(w, r.seqs.change[0]!, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: APP_USER });
});

afterAll(async () => {
  await w?.destroy();
});

describe.each([['admin', 'raw'], ['auditor', 'raw'], ['analyst', 'redact'], ['plain', 'redact'], ['open', 'raw']] as const)('role %s', (role, mode) => {
  it(`shows application context ${mode}`, async () => {
    const api = await startApiServer({ warehouse: w, auth: { mode: 'none', role }, policy, port: 0, host: '127.0.0.1', log: silentLogger });
    try {
      const r = await postGraphql<{ transaction: { context: unknown; appUser: string | null; changes: { nodes: { actor: { appUser: string | null; evidence: { appUser: string | null; detail: unknown }[] } }[] } } }>(api.url, Q);
      expect(r.errors).toBeUndefined();
      const t = r.data!.transaction;
      const actor = t.changes.nodes[0]!.actor;
      if (mode === 'raw') {
        expect(t.context).toEqual({ user: APP_USER, requestId: 'r-1' });
        expect([t.appUser, actor.appUser, actor.evidence[0]!.appUser]).toEqual([APP_USER, APP_USER, APP_USER]);
      } else {
        expect(t.context).toEqual({ $masked: 'redact' });
        expect([t.appUser, actor.appUser, ...actor.evidence.map((e) => e.appUser)]).toEqual([null, null, ...actor.evidence.map(() => null)]);
        expect(actor.evidence.every((e) => JSON.stringify(e.detail) === '{"$masked":"redact"}')).toBe(true);
        expect(r.text).not.toContain(APP_USER);
      }
    } finally {
      await api.close();
    }
  });
});

it('a bad appContext fails at start naming the key', () => {
  expect(() => parsePolicy({ roles: { x: { appContext: 'hash' } } }, null)).toThrow(/roles\.x\.appContext: expected one of raw, redact/);
});
