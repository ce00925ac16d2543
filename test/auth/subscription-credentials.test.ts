/**
 * A subscription outlives no credential (docs/subscriptions.md "Close codes"): at its token's expiry the
 * connection is closed with 4419 AUDITQL_TOKEN_EXPIRED, at its API key's revocation with 4419
 * AUDITQL_KEY_REVOKED; resubscribing with a fresh credential and `after` misses nothing and repeats nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthConfig } from '../../src/config/auth.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { newApiKey } from '../../src/auth/api-key-secret.js';
import { insertApiKey, revokeApiKey } from '../../src/warehouse/queries/api-keys.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { silentLogger } from '../../src/log.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe, type Sub } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { mkChange, store } from '../graphql/seed.js';
import { postGraphql } from '../graphql/helpers.js';
import { AUDIENCE, ISSUER, sign, startJwksServer, testKey, type JwksServer } from './jwt-fixtures.js';

interface Msg {
  changeAdded: { id: string; cursor: string };
}

let w: TestWarehouse;
let jwks: JwksServer;
let api: ApiServer;
let key: Awaited<ReturnType<typeof testKey>>;

const SUB = 'subscription($after: String) { changeAdded(filter: {table: "orders"}, after: $after) { id cursor } }';
const ids = (s: Sub<Msg>) => s.results.map((r) => r.data!.changeAdded.id);
const write = async (n: number) => (await store(w, Array.from({ length: n }, (_, i) => mkChange({ table: 'orders', key: { id: i } })))).seqs.change;

beforeAll(async () => {
  w = await freshWarehouse();
  key = await testKey('k1');
  jwks = await startJwksServer([key]);
  const config = loadAuthConfig({ AUDITQL_JWT_ISSUER: ISSUER, AUDITQL_JWT_AUDIENCE: AUDIENCE, AUDITQL_JWKS_URL: jwks.url });
  api = await startApiServer({
    warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger,
    auth: { mode: 'verify', authenticator: createAuthenticator({ config, db: w.db, roles: new Set(['auditor', 'siem']) }), revocationCheckMs: 50 },
    subscriptions: { feed: { pollMs: 100 } },
  });
});

afterAll(async () => {
  await api?.close();
  await jwks?.close();
  await w?.destroy();
});

/** The newest change's cursor, over HTTP: subscribing `after` it leaves no race with the writes that follow. */
async function newest(): Promise<string | null> {
  const r = await postGraphql<{ changes: { edges: { cursor: string }[] } }>(
    api.url, '{ changes(first: 1) { edges { cursor } } }', undefined, { authorization: `Bearer ${await sign(key)}` });
  return r.data!.changes.edges[0]?.cursor ?? null;
}

async function resumeAndCheck(credential: string, after: string, expected: readonly string[]) {
  const again = connect(api.url, { connectionParams: { authorization: `Bearer ${credential}` } });
  const s2 = subscribe<Msg>(again.client, SUB, { after });
  await until('the missed changes', () => s2.results.length >= expected.length);
  const more = await write(1);
  await until('the live change after them', () => s2.results.length >= expected.length + 1);
  expect(ids(s2)).toEqual([...expected, ...more]);
  await again.client.dispose();
}

describe('subscriptions end with their credentials', () => {
  it('at token expiry: closed 4419 AUDITQL_TOKEN_EXPIRED; resumed with a fresh token and after, nothing missed', async () => {
    // Expires in 2 s: the verifier's clock skew lets it in, the session watch closes it at `exp` itself.
    const short = await sign(key, { expIn: 2 });
    await write(1);
    const { client, closed } = connect(api.url, { connectionParams: { authorization: `Bearer ${short}` } });
    const s = subscribe<Msg>(client, SUB, { after: await newest() });
    const first = await write(2);
    await until('the first two changes', () => s.results.length >= 2);
    expect(ids(s)).toEqual(first);
    await until('the close at expiry', () => closed.length > 0, 10_000);
    expect(closed[0]).toEqual({ code: 4419, reason: 'AUDITQL_TOKEN_EXPIRED' });
    const missed = await write(3); // committed while the client was away
    await resumeAndCheck(await sign(key, { expIn: 300 }), s.results.at(-1)!.data!.changeAdded.cursor, missed);
    await client.dispose();
  });

  it('at API key revocation: closed 4419 AUDITQL_KEY_REVOKED; resumed with a new key and after, nothing missed', async () => {
    const k = await newApiKey();
    await insertApiKey(w.db, { keyId: k.keyId, name: 'siem-1', role: 'siem', secretHash: k.secretHash });
    const { client, closed } = connect(api.url, { connectionParams: { authorization: `Bearer ${k.key}` } });
    const s = subscribe<Msg>(client, SUB, { after: await newest() });
    const first = await write(1);
    await until('the first change', () => s.results.length >= 1);
    expect(ids(s)).toEqual(first);
    await revokeApiKey(w.db, 'siem-1');
    await until('the close at revocation', () => closed.length > 0);
    expect(closed[0]).toEqual({ code: 4419, reason: 'AUDITQL_KEY_REVOKED' });
    const missed = await write(2);
    const k2 = await newApiKey();
    await insertApiKey(w.db, { keyId: k2.keyId, name: 'siem-1', role: 'siem', secretHash: k2.secretHash });
    await resumeAndCheck(k2.key, s.results.at(-1)!.data!.changeAdded.cursor, missed);
    await client.dispose();
  });
});
