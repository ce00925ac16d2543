/**
 * Subscriptions over graphql-ws against the real server (127.0.0.1, port 0) and real PostgreSQL, with
 * graphql-ws's own client on `ws`: live delivery from "now", every filter, field resolvers on payloads,
 * errors, the auth hook, and fan-out cost (docs/subscriptions.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import type { AuditEvent } from '../../src/model/events.js';
import type { WarehouseDb } from '../../src/warehouse/db.js';
import type { ChangeFeed } from '../../src/feed/change-feed.js';
import { ANONYMOUS, type AuthHook } from '../../src/graphql/auth.js';
import { executionKey } from '../../src/graphql/subscriptions/shared-execution.js';
import { graphqlJs } from '../../src/graphql/graphql-js.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe, type Sub } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { countingWarehouse, postGraphql } from './helpers.js';
import { attribute, mkActivity, mkChange, mkContext } from './seed.js';

// ───────────── writing: the real sink, as an ingest process does ─────────────

async function write(
  w: WarehouseDb, events: readonly AuditEvent[], o: { attribution?: boolean } = {},
): Promise<{ change: readonly string[]; activity: readonly string[] }> {
  const sink = o.attribution ? new WarehouseSink(w.pool, settleAttribution) : new WarehouseSink(w.pool);
  const r = await sink.write({ source: 'test', events, deadLetters: [], checkpoints: [] });
  return r.seqs;
}

interface ChangeMsg {
  changeAdded: { id: string; cursor: string; table: string; operation: string; database: string | null; schema: string | null };
}
interface ActivityMsg {
  activityAdded: { id: string; cursor: string; class: string; dbUser: string | null; success: boolean };
}
const CHANGE_FIELDS = 'id cursor table operation database schema';

let w: TestWarehouse;
let api: ApiServer;
const clients: Client[] = [];
const client = (params?: Record<string, unknown>) => {
  const c = connect(api.url, params ? { connectionParams: params } : {});
  clients.push(c.client);
  return c;
};

beforeAll(async () => {
  w = await freshWarehouse();
  api = await startApiServer({
    warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1',
    subscriptions: { feed: { pollMs: 300 } },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await api?.close();
  await w?.destroy();
});

/** The cursor of the newest change (over HTTP: cursors from connections work as `after`). */
async function newestChangeCursor(): Promise<string> {
  const r = await postGraphql<{ changes: { edges: { cursor: string }[] } }>(api.url, '{ changes(first: 1) { edges { cursor } } }');
  return r.data!.changes.edges[0]!.cursor;
}

describe('changeAdded', () => {
  it('without `after`, delivers what commits after subscribing — nothing older — in order', async () => {
    await write(w, [mkChange({ table: 'live', key: { id: 0 } })]); // before: never delivered
    const { client: c } = client();
    const s = subscribe<ChangeMsg>(c, `subscription { changeAdded(filter: {table: "live"}) { ${CHANGE_FIELDS} } }`);
    // "now" is taken when the server handles the subscribe message: write until the first row shows up
    const written: string[] = [];
    let k = 1;
    await until('the first live row', async () => {
      if (s.results.length > 0) return true;
      written.push(...(await write(w, [mkChange({ table: 'live', key: { id: k++ } })])).change);
      await new Promise((r) => setTimeout(r, 30));
      return false;
    });
    const firstId = s.results[0]!.data!.changeAdded.id;
    expect(written).toContain(firstId);
    for (let i = 0; i < 5; i++) written.push(...(await write(w, [mkChange({ table: 'live', key: { id: k++ } })])).change);
    const expected = written.slice(written.indexOf(firstId));
    await until('five more rows', () => s.results.length >= expected.length);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.results.map((r) => r.data!.changeAdded.id)).toEqual(expected);
    expect(s.errors).toEqual([]);
    s.dispose();
  });

  it('serves every filter server-side: table, database, schema, operation, changed field, actor', async () => {
    const from = await write(w, [mkChange({ table: 'f_base', key: { id: 0 } })]);
    const after = await newestChangeCursor();
    const { client: c } = client();
    const q = (filter: string) => subscribe<ChangeMsg>(c, `subscription($after: String) { changeAdded(filter: ${filter}, after: $after) { ${CHANGE_FIELDS} } }`, { after });
    const subs = {
      table: q('{table: "f_orders"}'),
      database: q('{database: "crm"}'),
      schema: q('{schema: "billing"}'),
      operation: q('{operations: [DELETE, TRUNCATE]}'),
      field: q('{table: "f_orders", field: "status"}'),
      actor: q('{actor: "alice@example.com"}'),
      actorDb: q('{actor: "bob"}'),
      none: q('{table: "f_none"}'),
    };
    const seq = async (...e: AuditEvent[]) => (await write(w, e, { attribution: true })).change[0]!;
    const s1 = await seq(mkChange({ table: 'f_orders', key: { id: 1 }, operation: 'INSERT', after: { id: 1, status: 'new' } }));
    const s2 = await seq(mkChange({ table: 'f_orders', key: { id: 1 }, before: { id: 1, status: 'new', note: 'a' }, after: { id: 1, status: 'new', note: 'b' } }));
    // evidence stored with the change (application context in its transaction), as ingest stores it: the
    // actor filter sees the attribution when the row is read
    const s3 = await seq(
      mkChange({ table: 'f_orders', key: { id: 1 }, txId: '7001', before: { id: 1, status: 'new' }, after: { id: 1, status: 'paid' } }),
      mkContext({ txId: '7001', content: { user: 'alice@example.com' } }),
    );
    const s4 = await seq(mkChange({ table: 'f_people', database: 'crm', schema: 'public', key: { id: 7 }, operation: 'DELETE', before: { id: 7 } }));
    // the source names the database user (SOURCE evidence)
    const s5 = await seq(mkChange({ table: 'f_invoices', database: 'shop', schema: 'billing', key: { id: 9 }, after: { id: 9 }, origin: { server: 'pg1', connection: null, user: 'bob' } }));
    const ids = (s: Sub<ChangeMsg>) => s.results.map((r) => r.data!.changeAdded.id);
    const expected: Record<keyof typeof subs, string[]> = {
      table: [s1, s2, s3], database: [s4], schema: [s5], operation: [s4], field: [s1, s3], actor: [s3], actorDb: [s5], none: [],
    };
    await until('every filter', () => Object.entries(subs).every(([k, s]) => s.results.length >= expected[k as keyof typeof subs].length))
      .catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(Object.fromEntries(Object.entries(subs).map(([k, s]) => [k, [ids(s), s.errors, s.results.map((r) => r.errors)]])))} expected ${JSON.stringify(expected)}`);
      });
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    for (const [k, s] of Object.entries(subs)) expect([k, ids(s)]).toEqual([k, expected[k as keyof typeof subs]]);
    expect(from.change[0]).toBeDefined();
    for (const s of Object.values(subs)) s.dispose();
  });

  it('resolves actor, transaction and fieldChanges on payloads, batching across subscribers', async () => {
    const after = await newestChangeCursor();
    const seqs = (await write(w, [
      mkChange({ table: 'fr', key: { id: 1 }, txId: '901', before: { id: 1, email: 'a@x' }, after: { id: 1, email: 'b@x' } }),
      mkChange({ table: 'fr', key: { id: 2 }, txId: '901', before: { id: 2, email: 'c@x' }, after: { id: 2, email: 'd@x' } }),
    ])).change;
    await attribute(w, seqs[0]!, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: 'carol@example.com' });
    await attribute(w, seqs[1]!, { evidence: 'ACTIVITY_TX', confidence: 'EXACT', dbUser: 'app_rw' });
    const { client: c } = client();
    const query = `subscription($after: String) { changeAdded(filter: {table: "fr"}, after: $after) {
      id actor { dbUser appUser } transaction { id changeCount } fieldChanges { field oldValue newValue } } }`;
    type Msg = { changeAdded: { id: string; actor: { dbUser: string | null; appUser: string | null } | null; transaction: { id: string; changeCount: number } | null; fieldChanges: { field: string; oldValue: unknown; newValue: unknown }[] } };
    const subs = Array.from({ length: 5 }, () => subscribe<Msg>(c, query, { after }));
    await until('both rows on every subscription', () => subs.every((s) => s.results.length >= 2));
    for (const s of subs) {
      expect(s.results.map((r) => r.errors)).toEqual([undefined, undefined]);
      expect(s.results.map((r) => r.data!.changeAdded)).toEqual([
        { id: seqs[0], actor: { dbUser: null, appUser: 'carol@example.com' }, transaction: { id: '901', changeCount: 2 }, fieldChanges: [{ field: 'email', oldValue: 'a@x', newValue: 'b@x' }] },
        { id: seqs[1], actor: { dbUser: 'app_rw', appUser: null }, transaction: { id: '901', changeCount: 2 }, fieldChanges: [{ field: 'email', oldValue: 'c@x', newValue: 'd@x' }] },
      ]);
      s.dispose();
    }
  });

  it('rejects a bad cursor with AUDITQL_BAD_CURSOR, and queries over WebSocket', async () => {
    const { client: c } = client();
    const bad = subscribe<ChangeMsg>(c, 'subscription { changeAdded(after: "nope") { id } }');
    await until('an answer', () => bad.results.length + bad.errors.length > 0);
    const errs = [...bad.results.flatMap((r) => r.errors ?? []), ...(bad.errors.flat() as { extensions?: { code?: string } }[])];
    expect(errs.map((e) => (e as { extensions?: { code?: string } }).extensions?.code)).toEqual(['AUDITQL_BAD_CURSOR']);
    const query = subscribe<unknown>(c, '{ changes(first: 1) { edges { cursor } } }');
    await until('an answer', () => query.errors.length > 0);
    expect(JSON.stringify(query.errors)).toContain('only subscriptions are served over WebSocket');
    const activityCursorForChanges = subscribe<unknown>(c, 'subscription($a: String) { changeAdded(after: $a) { id } }', {
      a: Buffer.from('a1:1:0').toString('base64url'),
    });
    await until('an answer', () => activityCursorForChanges.results.length > 0);
    expect(activityCursorForChanges.results[0]!.errors![0]!.extensions).toEqual({ code: 'AUDITQL_BAD_CURSOR' });
  });

  it('applies the depth and cost limits of HTTP', async () => {
    const { client: c } = client();
    const deep = subscribe<unknown>(c, `subscription { changeAdded { transaction { changes(first: 500) { edges { node {
      transaction { changes(first: 500) { edges { node { id } } } } } } } } } }`);
    await until('an answer', () => deep.errors.length > 0);
    expect(JSON.stringify(deep.errors)).toContain('AUDITQL_QUERY_TOO_COMPLEX');
  });
});

describe('activityAdded', () => {
  it('filters by class, user, database and failures only', async () => {
    const base = (await write(w, [mkActivity({ class: 'READ' })])).activity[0]!;
    const r = await postGraphql<{ activity: { edges: { cursor: string; node: { id: string } }[] } }>(api.url, '{ activity(first: 1) { edges { cursor node { id } } } }');
    expect(r.data!.activity.edges[0]!.node.id).toBe(base);
    const after = r.data!.activity.edges[0]!.cursor;
    const { client: c } = client();
    const q = (filter: string) => subscribe<ActivityMsg>(c, `subscription($after: String) { activityAdded(filter: ${filter}, after: $after) { id cursor class dbUser success } }`, { after });
    const subs = {
      all: q('null'),
      ddl: q('{classes: ["DDL"]}'),
      failures: q('{success: false}'),
      carol: q('{user: "carol"}'),
      crm: q('{database: "crm"}'),
    };
    const a1 = (await write(w, [mkActivity({ class: 'DDL', command: 'CREATE TABLE', dbUser: 'carol' })])).activity[0]!;
    const a2 = (await write(w, [mkActivity({ class: 'AUTH_FAILURE', command: null, dbUser: 'mallory', exitCode: '1', errorMessage: 'password authentication failed' })])).activity[0]!;
    const a3 = (await write(w, [mkActivity({ class: 'WRITE', dbUser: 'carol', database: 'crm' })])).activity[0]!;
    const expected: Record<keyof typeof subs, string[]> = { all: [a1, a2, a3], ddl: [a1], failures: [a2], carol: [a1, a3], crm: [a3] };
    await until('every filter', () => Object.entries(subs).every(([k, s]) => s.results.length >= expected[k as keyof typeof subs].length));
    await new Promise((res) => setTimeout(res, 300));
    for (const [k, s] of Object.entries(subs)) expect([k, s.results.map((x) => x.data!.activityAdded.id)]).toEqual([k, expected[k as keyof typeof subs]]);
    expect(subs.failures.results[0]!.data!.activityAdded).toMatchObject({ class: 'AUTH_FAILURE', dbUser: 'mallory', success: false });
    for (const s of Object.values(subs)) s.dispose();
  });
});

describe('connection_init and the auth hook', () => {
  it('passes connectionParams to the hook; null closes the connection with 4403', async () => {
    const calls: (Record<string, unknown> | undefined)[] = [];
    const auth: AuthHook = async (params) => {
      calls.push(params);
      return params?.['token'] === 'let-me-in' ? { principal: 'siem', claims: { role: 'reader' }, role: 'admin' } : null;
    };
    const w2 = await freshWarehouse();
    const api2 = await startApiServer({ warehouse: w2, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', subscriptions: { auth } });
    try {
      const denied = connect(api2.url, { connectionParams: { token: 'wrong' } });
      const s1 = subscribe<ChangeMsg>(denied.client, 'subscription { changeAdded { id } }');
      await until('the close', () => denied.closed.length > 0);
      expect(denied.closed[0]).toEqual({ code: 4403, reason: 'Forbidden' });
      expect(s1.results).toEqual([]);
      await denied.client.dispose();

      const allowed = connect(api2.url, { connectionParams: { token: 'let-me-in' } });
      const base = (await write(w2, [mkChange({ table: 'auth', key: { id: 1 } })])).change[0]!;
      const r = await postGraphql<{ changes: { edges: { cursor: string }[] } }>(api2.url, '{ changes(first: 1) { edges { cursor } } }');
      const s2 = subscribe<ChangeMsg>(allowed.client, 'subscription($a: String) { changeAdded(after: $a) { id } }', { a: r.data!.changes.edges[0]!.cursor });
      const next = (await write(w2, [mkChange({ table: 'auth', key: { id: 2 } })])).change[0]!;
      await until('a row', () => s2.results.length > 0);
      expect(s2.results[0]!.data!.changeAdded.id).toBe(next);
      expect(BigInt(next)).toBeGreaterThan(BigInt(base));
      expect(calls).toEqual([{ token: 'wrong' }, { token: 'let-me-in' }]);
      await allowed.client.dispose();
    } finally {
      await api2.close();
      await w2.destroy();
    }
  });
});

describe('fan-out', () => {
  it('serves 200 subscribers of one filter with one read per wake-up and one actor query per batch', async () => {
    const counted = countingWarehouse(w.url);
    let f: ChangeFeed | undefined;
    // No access audit: its batched inserts (a transaction each) would land among the statements counted below.
    const api3 = await startApiServer({
      warehouse: counted, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', accessAudit: false, subscriptions: { onFeed: (x) => (f = x), feed: { pollMs: 60_000 } },
    });
    try {
      await write(w, [mkChange({ table: 'fan', key: { id: 0 } })]);
      const r = await postGraphql<{ changes: { edges: { cursor: string }[] } }>(api3.url, '{ changes(first: 1) { edges { cursor } } }');
      const after = r.data!.changes.edges[0]!.cursor;
      const conns = Array.from({ length: 20 }, () => connect(api3.url));
      const subs = conns.flatMap(({ client: c }) =>
        Array.from({ length: 10 }, () => subscribe<{ changeAdded: { id: string; actor: { dbUser: string | null } | null } }>(
          c, 'subscription($a: String) { changeAdded(filter: {table: "fan"}, after: $a) { id actor { dbUser } } }', { a: after })));
      await until('all 200 live', () => f!.size.subscriptions === 200 && f!.size.groups === 1);
      const before = { ...f!.stats };
      const statementsBefore = counted.statements.length;
      const seqs = (await write(w, [mkChange({ table: 'fan', key: { id: 1 } }), mkChange({ table: 'fan', key: { id: 2 } })])).change;
      await until('200 × 2 rows', () => subs.every((s) => s.results.length >= 2));
      expect(subs.every((s) => s.results.map((x) => x.data!.changeAdded.id).join() === seqs.join())).toBe(true);
      const after2 = f!.stats;
      expect(after2.groupReads - before.groupReads).toBeLessThanOrEqual(2);
      expect(after2.replayReads - before.replayReads).toBe(0);
      const stmts = counted.statements.slice(statementsBefore);
      // the actor loader's one statement (the head read also looks at attributions: actorUpdated)
      expect(stmts.filter((s) => /auditql\.attributions/.test(s) && !/max\(seq\)/.test(s)).length).toBe(1);
      expect(stmts.length).toBeLessThanOrEqual(6);
      await Promise.all(conns.map((c) => c.client.dispose()));
    } finally {
      await api3.close();
      await counted.close();
    }
  });
});

describe('actorUpdated', () => {
  type Update = {
    actorUpdated: {
      cursor: string;
      change: { id: string; actor: { dbUser: string | null; appUser: string | null } | null };
      evidence: { source: string; confidence: string; dbUser: string | null; appUser: string | null };
    };
  };
  const UPDATE = `subscription($after: String, $table: String) { actorUpdated(filter: {table: $table}, after: $after) {
    cursor change { id actor { dbUser appUser } } evidence { source confidence dbUser appUser } } }`;
  // PostgreSQL transaction ids on both sides (pgoutput change, pgAudit activity) so ACTIVITY_TX can match
  const pgChange = (id: number, txId: string, table = 'au') =>
    mkChange({ format: 'pgoutput', table, key: { id }, txId, before: { id, v: 1 }, after: { id, v: 2 } });
  const pgAudit = (txId: string, dbUser: string, table = 'au') =>
    mkActivity({ format: 'pgaudit', class: 'WRITE', command: 'UPDATE', objectName: `public.${table}`, txId, dbUser });
  const updates = (s: Sub<Update>) => s.results.map((r) => {
    expect(r.errors).toBeUndefined();
    const u = r.data!.actorUpdated;
    return { change: u.change.id, source: u.evidence.source, dbUser: u.evidence.dbUser, actor: u.change.actor };
  });

  it('tells a subscriber when a change it already has gets its actor later — and only then', async () => {
    const after = await newestChangeCursor();
    const { client: c } = client();
    const changes = subscribe<{ changeAdded: { id: string; actor: { dbUser: string | null; appUser: string | null } | null } }>(
      c, 'subscription($after: String) { changeAdded(filter: {table: "au"}, after: $after) { id actor { dbUser appUser } } }', { after });
    const upd = subscribe<Update>(c, UPDATE, { after, table: 'au' });
    // c1: nobody known yet; c2: application context in its own transaction, settled with the change
    const c1 = (await write(w, [pgChange(1, '8001')], { attribution: true })).change[0]!;
    const c2 = (await write(w, [pgChange(2, '8002'), mkContext({ txId: '8002', content: { user: 'dora@example.com' } })], { attribution: true })).change[0]!;
    await until('both changes', () => changes.results.length >= 2);
    expect(changes.results.map((r) => r.data!.changeAdded)).toEqual([
      { id: c1, actor: null },
      { id: c2, actor: { dbUser: null, appUser: 'dora@example.com' } },
    ]);
    await new Promise((r) => setTimeout(r, 400)); // evidence that came with its change is not an update
    expect(upd.results).toEqual([]);
    // the activity stream catches up: c1 is attributed now
    await write(w, [pgAudit('8001', 'app_rw')], { attribution: true });
    await until('the update', () => upd.results.length >= 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(updates(upd)).toEqual([
      { change: c1, source: 'ACTIVITY_TX', dbUser: 'app_rw', actor: { dbUser: 'app_rw', appUser: null } },
    ]);
    expect(changes.results).toHaveLength(2); // the change itself is not delivered again
    changes.dispose();
    upd.dispose();
  });

  it('resumes after an update, or after a change cursor, without a gap or a duplicate', async () => {
    const before = await newestChangeCursor();
    const c3 = (await write(w, [pgChange(3, '8003', 'au2')], { attribution: true })).change[0]!;
    const c4 = (await write(w, [pgChange(4, '8004', 'au2')], { attribution: true })).change[0]!;
    await write(w, [pgAudit('8003', 'erin', 'au2')], { attribution: true });
    const { client: c } = client();
    const first = subscribe<Update>(c, UPDATE, { after: before, table: 'au2' });
    await until('the replayed update', () => first.results.length >= 1);
    const cursor = first.results[0]!.data!.actorUpdated.cursor;
    first.dispose();
    await write(w, [pgAudit('8004', 'frank', 'au2')], { attribution: true });
    const resumed = subscribe<Update>(c, UPDATE, { after: cursor, table: 'au2' });
    const again = subscribe<Update>(c, UPDATE, { after: before, table: 'au2' });
    await until('both resumed', () => resumed.results.length >= 1 && again.results.length >= 2);
    await new Promise((r) => setTimeout(r, 400));
    expect(updates(first).map((u) => [u.change, u.dbUser])).toEqual([[c3, 'erin']]);
    expect(updates(resumed).map((u) => [u.change, u.dbUser])).toEqual([[c4, 'frank']]);
    expect(updates(again).map((u) => [u.change, u.dbUser])).toEqual([[c3, 'erin'], [c4, 'frank']]);
    resumed.dispose();
    again.dispose();
  });
});

describe('the contract', () => {
  it('has the pinned subscriptions of docs/graphql.md', () => {
    const fields = api.schema.getSubscriptionType()!.getFields();
    const sig = (name: string) => `${name}(${fields[name]!.args.map((a) => `${a.name}: ${String(a.type)}`).sort().join(', ')}): ${String(fields[name]!.type)}`;
    expect(sig('changeAdded')).toBe('changeAdded(after: String, filter: ChangeFilter): Change!');
    expect(sig('activityAdded')).toBe('activityAdded(after: String, filter: ActivityFilter): Activity!');
    expect(sig('actorUpdated')).toBe('actorUpdated(after: String, filter: ChangeFilter): ActorUpdate!');
  });

  it("shares an event's execution only between equal selections, variables and callers", () => {
    const key = (query: string, variableValues: Record<string, unknown>, auth = ANONYMOUS) =>
      executionKey(query, { schema: api.schema, document: graphqlJs.parse(query), variableValues }, auth);
    const q = 'subscription($a: String, $f: ChangeFilter, $h: Boolean) { changeAdded(after: $a, filter: $f) { id fieldChanges(fromHistory: $h) { field } } }';
    // `after` and `filter` choose the stream, not what an event looks like
    expect(key(q, { a: 'x', f: { table: 't' }, h: true })).toBe(key(q, { a: 'y', f: { table: 'u' }, h: true }));
    expect(key(q, { a: 'x', h: true })).not.toBe(key(q, { a: 'x', h: false }));
    expect(key(q, { h: true })).not.toBe(key(q, { h: true }, { principal: 'siem', claims: {} }));
    expect(key(q, {})).not.toBe(key(q.replace('{ field }', '{ field newValue }'), {}));
  });

  it('starts the change feed only when someone subscribes', async () => {
    const w3 = await freshWarehouse();
    let f: ChangeFeed | undefined;
    const api3 = await startApiServer({ warehouse: w3, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', subscriptions: { onFeed: (x) => (f = x) } });
    try {
      await postGraphql(api3.url, '{ changes(first: 1) { edges { cursor } } }');
      expect(f!.size).toEqual({ subscriptions: 0, groups: 0, listening: false });
      expect(f!.stats.headReads).toBe(0);
    } finally {
      await api3.close();
      await w3.destroy();
    }
  });
});
