/**
 * Per-role limits (docs/security.md "Per-role limits"): `maxPageSize`, `maxDepth` and `maxCost` lower the
 * server's limits for a role, over HTTP and graphql-ws; `rateLimit` is a token bucket per principal whose
 * refusal is HTTP 429 AUDITQL_RATE_LIMITED (recorded in the access audit); the policy file is validated
 * naming the bad key; the built-in roles have defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/graphql/server.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { rateLimiter } from '../../src/graphql/auth/rate-limit.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { postGraphql } from '../graphql/helpers.js';
import { roleKeys, startWithKeys } from './role-keys.js';

const policy = parsePolicy({
  roles: {
    tight: { maxPageSize: 5, maxDepth: 3, maxCost: 40 },
    burst: { rateLimit: { perSecond: 0.001, burst: 3 } },
    wsburst: { rateLimit: { perSecond: 0.001, burst: 2 } },
  },
}, null);

let w: TestWarehouse;
let api: ApiServer;
let keys: Record<string, string> = {};
const as = (role: string) => ({ authorization: `Bearer ${keys[role]}` });
const codes = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] | undefined }) => r.errors?.map((e) => e.extensions?.['code']) ?? [];

beforeAll(async () => {
  w = await freshWarehouse();
  keys = await roleKeys(w, ['tight', 'burst', 'wsburst', 'analyst', 'admin']);
  api = await startWithKeys(w, policy);
});

afterAll(async () => {
  await api?.close();
  await w?.destroy();
});

describe('per-role limits', () => {
  it('maxPageSize: a larger `first` is refused (AUDITQL_PAGE_TOO_LARGE), not clamped; built-ins have defaults', async () => {
    expect(codes(await postGraphql(api.url, '{ changes(first: 5) { nodes { id } } }', undefined, as('tight')))).toEqual([]);
    expect(codes(await postGraphql(api.url, '{ changes(first: 6) { nodes { id } } }', undefined, as('tight')))).toEqual(['AUDITQL_PAGE_TOO_LARGE']);
    expect(codes(await postGraphql(api.url, '{ changes(first: 200) { nodes { id } } }', undefined, as('analyst')))).toEqual([]);
    expect(codes(await postGraphql(api.url, '{ changes(first: 201) { nodes { id } } }', undefined, as('analyst')))).toEqual(['AUDITQL_PAGE_TOO_LARGE']);
    expect(codes(await postGraphql(api.url, '{ changes(first: 500) { nodes { id } } }', undefined, as('admin')))).toEqual([]);
  });

  it('maxDepth and maxCost: lower than the server\'s for the role, over HTTP and graphql-ws', async () => {
    const deep = '{ changes(first: 1) { nodes { transaction { changes(first: 1) { nodes { id } } } } } }'; // depth 5
    const r = await postGraphql(api.url, deep, undefined, as('tight'));
    expect([r.status, ...codes(r)]).toEqual([400, 'AUDITQL_QUERY_TOO_COMPLEX']);
    expect(codes(await postGraphql(api.url, deep, undefined, as('admin')))).toEqual([]);
    const costly = '{ changes(first: 5) { nodes { id table operation committedAt database schema key before after } } }'; // 1 + 5 + 5 × 10 = 56
    expect(codes(await postGraphql(api.url, costly, undefined, as('tight')))).toEqual(['AUDITQL_QUERY_TOO_COMPLEX']);
    expect(codes(await postGraphql(api.url, '{ changes(first: 5) { nodes { id } } }', undefined, as('tight')))).toEqual([]);
    const { client } = connect(api.url, { connectionParams: as('tight') });
    const s = subscribe(client, 'subscription { changeAdded { transaction { changes(first: 1) { nodes { id } } } } }');
    await until('the refusal', () => s.errors.length > 0);
    expect(JSON.stringify(s.errors)).toContain('AUDITQL_QUERY_TOO_COMPLEX');
    await client.dispose();
  });

  it('rateLimit: HTTP 429 AUDITQL_RATE_LIMITED with Retry-After past the burst, recorded as a refusal', async () => {
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await postGraphql(api.url, '{ changes(first: 1) { nodes { id } } }', undefined, as('burst')));
    expect(made.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(codes(made[3]!)).toEqual(['AUDITQL_RATE_LIMITED']);
    const res = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json', ...as('burst') }, body: '{"query":"{ __typename }"}' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // another principal is not affected
    expect((await postGraphql(api.url, '{ __typename }', undefined, as('tight'))).status).toBe(200);
    await until('the refusals recorded', async () => (await w.pool.query(
      "SELECT 1 FROM auditql.api_access WHERE principal = 'burst-key' AND event = 'refusal' AND reason = 'rate_limited'")).rowCount === 2);
  });

  it('rateLimit over graphql-ws: each subscribe takes a token', async () => {
    const { client } = connect(api.url, { connectionParams: as('wsburst') });
    const subs = [0, 1, 2].map(() => subscribe(client, 'subscription { changeAdded { id } }'));
    await until('the third refused', () => subs[2]!.errors.length > 0);
    expect(JSON.stringify(subs[2]!.errors)).toContain('AUDITQL_RATE_LIMITED');
    expect(subs[0]!.errors).toEqual([]);
    expect(subs[1]!.errors).toEqual([]);
    await client.dispose();
  });

  it('the token bucket refills at perSecond up to burst', () => {
    let t = 0;
    const r = rateLimiter(() => t);
    const limit = { perSecond: 2, burst: 2 };
    expect([r.take('a', limit), r.take('a', limit)]).toEqual([null, null]);
    expect(r.take('a', limit)).toBeCloseTo(0.5);
    t = 500;
    expect(r.take('a', limit)).toBeNull();
    t = 10_000;
    expect([r.take('a', limit), r.take('a', limit), r.take('a', limit) !== null]).toEqual([null, null, true]);
  });

  it('a bad limit in the policy file fails at start naming the key', () => {
    const fails = (role: Record<string, unknown>) => () => parsePolicy({ roles: { x: role } }, null);
    expect(fails({ maxPageSize: 0 })).toThrow(/roles\.x\.maxPageSize: expected a whole number/);
    expect(fails({ maxDepth: 'deep' })).toThrow(/roles\.x\.maxDepth/);
    expect(fails({ maxCost: 1.5 })).toThrow(/roles\.x\.maxCost/);
    expect(fails({ rateLimit: { perSecond: 0, burst: 1 } })).toThrow(/roles\.x\.rateLimit\.perSecond/);
    expect(fails({ rateLimit: { perSecond: 1, burst: 0 } })).toThrow(/roles\.x\.rateLimit\.burst/);
    expect(fails({ rateLimit: { perSecond: 1, burst: 1, window: 3 } })).toThrow(/roles\.x\.rateLimit\.window: unknown key/);
  });
});
