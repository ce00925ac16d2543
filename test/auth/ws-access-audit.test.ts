/**
 * The access audit of subscriptions (docs/security.md "Access audit"): over graphql-ws, every refused
 * upgrade (Origin) and `connection_init` (credentials), every `subscribe` refused (validation, a forbidden
 * field), and every subscription's start and end (with the events it delivered and how long it ran) leave
 * one record each in `auditql.api_access`, beside the HTTP requests' — and no variable's value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadAuthConfig } from '../../src/config/auth.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { startApiServer } from '../../src/graphql/server.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { silentLogger } from '../../src/log.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { mkChange, store } from '../graphql/seed.js';
import { postGraphql } from '../graphql/helpers.js';
import { roleKeys } from './role-keys.js';

const SECRET = 'ws-variable-secret@example.com';
const policy = parsePolicy({ roles: { watcher: { fields: ['Subscription.changeAdded'] } } }, null);

let w: TestWarehouse;
let keys: Record<string, string> = {};

interface Rec {
  principal: string | null; role: string | null; transport: string; event: string; operation_type: string | null; operation_name: string | null;
  document_hash: string | null; variables: unknown; rows_returned: number | null; decision: string; reason: string | null; duration_ms: number | null;
  client_address: string | null;
}

beforeAll(async () => {
  w = await freshWarehouse();
  keys = await roleKeys(w, ['admin', 'watcher']);
  await store(w, [mkChange({ table: 'orders', key: { id: 1 } }), mkChange({ table: 'orders', key: { id: 2 } })]);
});

afterAll(async () => {
  await w?.destroy();
});

const FROM_START = Buffer.from('c1:0:0').toString('base64url');
const WATCH = 'subscription Watch($t: String!, $after: String) { changeAdded(filter: {table: $t}, after: $after) { id } }';

describe('the access audit of subscriptions', () => {
  it('records every request and subscription made — starts, ends and refusals — with no variable value', async () => {
    const api = await startApiServer({
      warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, policy,
      auth: { mode: 'verify', authenticator: createAuthenticator({ config: loadAuthConfig({}), db: w.db, roles: new Set(policy.roles.keys()) }) },
      subscriptions: { feed: { pollMs: 100 } },
    });
    const bearer = (role: string) => ({ authorization: `Bearer ${keys[role]}` });
    // HTTP: one allowed, one refused (2 records)
    expect((await postGraphql(api.url, '{ changes { nodes { id } } }', undefined, bearer('admin'))).status).toBe(200);
    expect((await postGraphql(api.url, '{ changes { nodes { id } } }')).status).toBe(401);

    // an admin connection: one subscription that delivers 2 events and is completed by the client (2
    // records), one with a secret variable left open until the server stops (2), a query sent over the
    // WebSocket (refused: 1)
    const admin = connect(api.url, { connectionParams: bearer('admin') });
    const a = subscribe<{ changeAdded: { id: string } }>(admin.client, WATCH, { t: 'orders', after: FROM_START });
    const b = subscribe(admin.client, WATCH, { t: SECRET });
    const c = subscribe(admin.client, '{ changes { nodes { id } } }');
    await until('two events', () => a.results.length >= 2);
    await until('the query refused', () => c.errors.length > 0);
    a.dispose();

    // a role that may not use activityAdded (refused at subscribe: 1)
    const watcher = connect(api.url, { connectionParams: bearer('watcher') });
    const forbidden = subscribe(watcher.client, 'subscription { activityAdded { id } }');
    await until('the forbidden subscription refused', () => forbidden.results.length > 0 || forbidden.errors.length > 0);

    // bad credentials at connection_init (1), a browser Origin not allowed at the upgrade (1)
    const bad = connect(api.url, { connectionParams: { authorization: 'Bearer aqk_nosuchkey_0000' } });
    const badSub = subscribe(bad.client, WATCH, { t: 'orders' });
    await until('the refused connection', () => bad.closed.length > 0);
    expect(bad.closed[0]!.code).toBe(4403);
    const evil = new WebSocket(api.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { origin: 'https://evil.example' });
    const status = await new Promise<number>((resolve) => evil.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
    evil.on('error', () => {}); // the refused upgrade ends the socket itself
    badSub.dispose();
    await until('b still open', () => b.errors.length === 0);

    await api.close(); // ends b (its end is recorded) and flushes what is queued
    await admin.client.dispose();
    await watcher.client.dispose();
    await bad.client.dispose();

    const recs = (await w.pool.query<Rec>('SELECT * FROM auditql.api_access ORDER BY seq')).rows;
    expect(recs).toHaveLength(2 + 2 + 2 + 1 + 1 + 1 + 1);
    expect(JSON.stringify(recs)).not.toContain(SECRET);
    const ws = recs.filter((r) => r.transport === 'ws');
    expect(ws.every((r) => r.client_address === '127.0.0.1')).toBe(true);

    const subs = ws.filter((r) => r.event.startsWith('subscription_'));
    const shape = (r: Rec) => [r.event, r.principal, r.role, r.operation_name, r.decision, r.reason, r.rows_returned];
    expect(subs.map(shape).sort()).toEqual([
      ['subscription_end', 'admin-key', 'admin', 'Watch', 'allowed', null, 0],
      ['subscription_end', 'admin-key', 'admin', 'Watch', 'allowed', null, 2],
      ['subscription_start', 'admin-key', 'admin', 'Watch', 'allowed', null, null],
      ['subscription_start', 'admin-key', 'admin', 'Watch', 'allowed', null, null],
      ['subscription_start', 'admin-key', 'admin', null, 'refused', 'AUDITQL_BAD_INPUT', null],
      ['subscription_start', 'watcher-key', 'watcher', null, 'refused', 'forbidden_field', null],
    ].sort());
    const ends = subs.filter((r) => r.event === 'subscription_end');
    expect(ends.every((r) => typeof r.duration_ms === 'number' && r.duration_ms >= 0 && r.operation_type === 'subscription')).toBe(true);
    const R = { $masked: 'redact' };
    expect(ends.map((r) => r.variables).sort((x, y) => Object.keys(y as object).length - Object.keys(x as object).length)).toEqual([{ t: R, after: R }, { t: R }]);
    expect(subs.filter((r) => r.operation_name === 'Watch').every((r) => /^[0-9a-f]{64}$/.test(r.document_hash ?? ''))).toBe(true);

    const refusals = ws.filter((r) => r.event === 'refusal');
    expect(refusals.map((r) => [r.principal, r.decision, r.reason]).sort()).toEqual([
      [null, 'refused', 'bad_origin'],
      [null, 'refused', bad.closed[0]!.reason.split(':')[1]],
    ].sort());
  });
});
