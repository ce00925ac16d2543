/**
 * The access audit (docs/security.md "Access audit"): every HTTP operation and every refusal leaves one
 * record in `auditql.api_access`, written off the request path and flushed when the server closes; the
 * records say who, what, how much and the decision, never a variable's value; `Query.apiAccess` serves them
 * to admin and auditor only.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthConfig } from '../../src/config/auth.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { BUILTIN_POLICY } from '../../src/policy/load-policy.js';
import { silentLogger } from '../../src/log.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { mkChange, store } from '../graphql/seed.js';
import { postGraphql } from '../graphql/helpers.js';
import { roleKeys } from './role-keys.js';

const SECRET = 'hunter2-variable-secret';

let w: TestWarehouse;
let keys: Record<string, string> = {};

const start = (): Promise<ApiServer> => startApiServer({
  warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger,
  auth: { mode: 'verify', authenticator: createAuthenticator({ config: loadAuthConfig({}), db: w.db, roles: new Set(BUILTIN_POLICY.roles.keys()) }) },
});
const bearer = (role: string) => ({ authorization: `Bearer ${keys[role]}` });
const count = async () => Number((await w.pool.query<{ n: string }>('SELECT count(*) AS n FROM auditql.api_access')).rows[0]!.n);

interface Rec {
  principal: string | null; role: string | null; auth_kind: string | null; client_address: string | null; transport: string; event: string;
  operation_type: string | null; operation_name: string | null; document_hash: string | null; variables: unknown; rows_returned: number | null;
  decision: string; reason: string | null;
}

beforeAll(async () => {
  w = await freshWarehouse();
  keys = await roleKeys(w, ['admin', 'analyst', 'auditor']);
  // A row image holding an `edges` list: a value, not rows of the answer.
  await store(w, [mkChange({ table: 'orders', key: { id: 1 } }), mkChange({ table: 'orders', key: { id: 2 }, after: { id: 2, edges: ['a', 'b', 'c'] } })]);
});

afterAll(async () => {
  await w?.destroy();
});

describe('the access audit', () => {
  it('records every request made — operations and refusals — with no variable value', async () => {
    expect(await count()).toBe(0);
    const api = await start();
    const made = [
      await postGraphql(api.url, '{ changes(first: 5) { nodes { id } } }', undefined, bearer('admin')),
      await postGraphql(api.url, 'query Named($t: String!) { whoChanged(table: $t) { edges { node { id } } } }', { t: SECRET }, bearer('admin')),
      await postGraphql(api.url, '{ apiAccess { nodes { id } } }', undefined, bearer('analyst')),
      await postGraphql(api.url, '{ changes { nodes { id } } }'),
      await postGraphql(api.url, '{ changes { nodes { id } } }', undefined, { authorization: 'Bearer aqk_nosuchkey_0000' }),
      await postGraphql(api.url, '{ activity { nodes { id } } }', undefined, bearer('analyst')),
      await postGraphql(api.url, '{ changes(first: 5) { edges { node { after } } } }', undefined, bearer('admin')),
    ];
    expect(made.map((r) => r.status)).toEqual([200, 200, 200, 401, 401, 200, 200]);
    await api.close(); // flushes what is queued
    expect(await count()).toBe(made.length);

    const recs = (await w.pool.query<Rec>('SELECT * FROM auditql.api_access ORDER BY seq')).rows;
    expect(JSON.stringify(recs)).not.toContain(SECRET);
    const ops = recs.filter((r) => r.event === 'operation');
    expect(ops.map((r) => [r.principal, r.role, r.auth_kind, r.operation_type, r.operation_name, r.rows_returned, r.decision, r.reason])).toEqual([
      ['admin-key', 'admin', 'api-key', 'query', null, 2, 'allowed', null],
      ['admin-key', 'admin', 'api-key', 'query', 'Named', 0, 'allowed', null],
      ['analyst-key', 'analyst', 'api-key', 'query', null, 0, 'refused', 'forbidden_field'],
      ['analyst-key', 'analyst', 'api-key', 'query', null, 0, 'allowed', null],
      ['admin-key', 'admin', 'api-key', 'query', null, 2, 'allowed', null],
    ]);
    expect(ops[1]!.variables).toEqual({ t: { $masked: 'redact' } });
    expect(ops[0]!.document_hash).toBe(createHash('sha256').update('{ changes(first: 5) { nodes { id } } }').digest('hex'));
    expect(ops.every((r) => r.transport === 'http' && r.client_address === '127.0.0.1')).toBe(true);
    const refusals = recs.filter((r) => r.event === 'refusal');
    expect(refusals.map((r) => [r.principal, r.decision, r.reason])).toEqual([[null, 'refused', 'missing'], [null, 'refused', 'malformed']]);
  });

  it('serves the records to admin and auditor as Query.apiAccess, paged oldest first; refuses other roles', async () => {
    const before = await count();
    const api = await start();
    try {
      type Page = { apiAccess: { edges: { cursor: string; node: { id: string; principal: string | null; decision: string; reason: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
      const q = 'query($a: String) { apiAccess(first: 4, after: $a) { edges { cursor node { id principal decision reason } } pageInfo { hasNextPage endCursor } } }';
      const p1 = await postGraphql<Page>(api.url, q, {}, bearer('auditor'));
      const p2 = await postGraphql<Page>(api.url, q, { a: p1.data!.apiAccess.pageInfo.endCursor }, bearer('auditor'));
      const seen = [...p1.data!.apiAccess.edges, ...p2.data!.apiAccess.edges].map((e) => e.node);
      expect(p1.data!.apiAccess.pageInfo.hasNextPage).toBe(true);
      expect(p2.data!.apiAccess.pageInfo.hasNextPage).toBe(false);
      expect(seen.map((n) => [n.principal, n.decision, n.reason])).toEqual([
        ['admin-key', 'allowed', null], ['admin-key', 'allowed', null], ['analyst-key', 'refused', 'forbidden_field'],
        [null, 'refused', 'missing'], [null, 'refused', 'malformed'], ['analyst-key', 'allowed', null], ['admin-key', 'allowed', null],
      ]); // the order the requests were made
      const ids = seen.map((n) => BigInt(n.id));
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
      const analyst = await postGraphql(api.url, '{ apiAccess { nodes { id } } }', undefined, bearer('analyst'));
      expect(analyst.errors?.map((e) => e.extensions?.['code'])).toEqual(['AUDITQL_FORBIDDEN']);
    } finally {
      await api.close();
    }
    expect(await count()).toBe(before + 3);
  });
});
