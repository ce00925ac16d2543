/**
 * Reading the access audit (docs/security.md "Access audit"): `Query.apiAccess(filter:)` narrows by
 * principal, role, decision, event, operation name and time; `Subscription.apiAccessAdded(filter, after)`
 * replays from `after`, then goes live, with no gap and no duplicate — also while two API servers write
 * records at once — and only for roles whose `fields` allow it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthConfig } from '../../src/config/auth.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { BUILTIN_POLICY } from '../../src/policy/load-policy.js';
import { silentLogger } from '../../src/log.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { postGraphql } from '../graphql/helpers.js';
import { roleKeys } from './role-keys.js';

let w: TestWarehouse;
let keys: Record<string, string> = {};
const servers: ApiServer[] = [];

const start = async (): Promise<ApiServer> => {
  const api = await startApiServer({
    warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger,
    auth: { mode: 'verify', authenticator: createAuthenticator({ config: loadAuthConfig({}), db: w.db, roles: new Set(BUILTIN_POLICY.roles.keys()) }) },
    subscriptions: { feed: { pollMs: 100 } },
  });
  servers.push(api);
  return api;
};
const bearer = (role: string) => ({ authorization: `Bearer ${keys[role]}` });
const seqs = async (where: string) =>
  (await w.pool.query<{ seq: string }>(`SELECT seq FROM auditql.api_access WHERE ${where} ORDER BY seq`)).rows.map((r) => r.seq);
const count = async () => (await seqs('true')).length;

beforeAll(async () => {
  w = await freshWarehouse();
  keys = await roleKeys(w, ['admin', 'auditor', 'analyst', 'siem']);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await w?.destroy();
});

interface Node { id: string; cursor: string; principal: string | null; event: string; decision: string; operationName: string | null; at: string }
const NODE = 'id cursor principal event decision operationName at';

describe('the access audit, read back', () => {
  it('Query.apiAccess(filter:) narrows by principal, role, decision, event, operation name and time', async () => {
    const api = await start();
    await postGraphql(api.url, 'query Named { changes { nodes { id } } }', undefined, bearer('admin'));
    await postGraphql(api.url, '{ apiAccess { nodes { id } } }', undefined, bearer('analyst')); // refused: forbidden field
    await postGraphql(api.url, '{ changes { nodes { id } } }'); // refused: no credentials
    await until('the three records', async () => (await count()) === 3);
    const q = async (filter: Record<string, unknown>) => {
      const r = await postGraphql<{ apiAccess: { nodes: Node[] } }>(api.url, `query($f: ApiAccessFilter) { apiAccess(filter: $f) { nodes { ${NODE} } } }`, { f: filter }, bearer('auditor'));
      expect(r.errors).toBeUndefined();
      return r.data!.apiAccess.nodes.map((n) => [n.principal, n.event, n.decision, n.operationName]);
    };
    const ADMIN = ['admin-key', 'operation', 'allowed', 'Named'];
    const ANALYST = ['analyst-key', 'operation', 'refused', null];
    const ANON = [null, 'refusal', 'refused', null];
    expect(await q({})).toEqual([ADMIN, ANALYST, ANON]);
    expect(await q({ principal: 'analyst-key' })).toEqual([ANALYST]);
    expect(await q({ role: 'admin' })).toEqual([ADMIN]);
    expect(await q({ decision: 'refused' })).toEqual([ANALYST, ANON]);
    expect(await q({ event: 'refusal' })).toEqual([ANON]);
    expect(await q({ operationName: 'Named' })).toEqual([ADMIN]);
    expect(await q({ decision: 'refused', event: 'operation' })).toEqual([ANALYST]);
    const [first] = (await w.pool.query<{ at: Date }>('SELECT at FROM auditql.api_access ORDER BY seq LIMIT 1')).rows;
    expect(await q({ until: first!.at.toISOString() })).toEqual([]);
    expect((await q({ since: first!.at.toISOString() }))[0]).toEqual(ADMIN);
    expect(await q({ since: '2999-01-01T00:00:00Z' })).toEqual([]);
  });

  it('apiAccessAdded: only for roles allowed it (admin, auditor)', async () => {
    const api = servers[0]!;
    for (const role of ['analyst', 'siem']) {
      const { client } = connect(api.url, { connectionParams: bearer(role) });
      const s = subscribe(client, 'subscription { apiAccessAdded { id } }');
      await until(`${role} refused`, () => s.results.length > 0 || s.errors.length > 0);
      expect(JSON.stringify([s.results, s.errors])).toContain('AUDITQL_FORBIDDEN');
      await client.dispose();
    }
  });

  it('apiAccessAdded(filter, after): replay, then live, while two API servers write — no gap, no duplicate', async () => {
    const [a] = servers;
    const b = await start();
    const after = (await seqs("principal = 'admin-key'"))[0]!;
    const cursor = Buffer.from(`x1:${after}:0`).toString('base64url');
    const { client } = connect(a!.url, { connectionParams: bearer('auditor') });
    const s = subscribe<{ apiAccessAdded: Node }>(client, `subscription($a: String) { apiAccessAdded(filter: {principal: "admin-key"}, after: $a) { ${NODE} } }`, { a: cursor });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      for (const api of [a!, b]) writes.push(postGraphql(api.url, `query W${i} { changes(first: 1) { nodes { id } } }`, undefined, bearer('admin')));
    }
    await Promise.all(writes);
    await postGraphql(b.url, 'query Sentinel { changes(first: 1) { nodes { id } } }', undefined, bearer('admin'));
    await until('the sentinel', () => s.errors.length > 0 || s.results.some((r) => r.data?.apiAccessAdded.operationName === 'Sentinel'));
    expect(s.errors).toEqual([]);
    const got = s.results.map((r) => r.data!.apiAccessAdded.id);
    const expected = await seqs(`principal = 'admin-key' AND seq > ${after}`);
    expect(got).toEqual(expected.slice(0, got.length));
    expect(got.at(-1)).toBe(expected.at(-1)); // up to the sentinel: everything, once, in seq order
    expect(got).toHaveLength(20 * 2 + 1);
    expect(s.results.every((r) => r.data!.apiAccessAdded.principal === 'admin-key')).toBe(true);
    // a cursor from the stream resumes it exactly
    const mid = s.results[9]!.data!.apiAccessAdded.cursor;
    const s2 = subscribe<{ apiAccessAdded: Node }>(client, `subscription($a: String) { apiAccessAdded(filter: {principal: "admin-key"}, after: $a) { id } }`, { a: mid });
    await until('the resumed replay', () => s2.results.length >= got.length - 10);
    expect(s2.results.map((r) => r.data!.apiAccessAdded.id)).toEqual(got.slice(10));
    await client.dispose();
  });
});
