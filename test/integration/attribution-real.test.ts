/**
 * Proof on a real workload (docs/attribution.md): a real PostgreSQL 15 with pgAudit as the SOURCE, several database
 * users changing rows concurrently (one row contended by all of them), some transactions naming their
 * application user with `auditql.set_actor`, some not; the changes captured through the built-in PostgreSQL
 * source and the pgAudit csvlog ingested through the file source — the log first in one warehouse, the
 * changes first in another. Every change must be attributed to the right database user, and the
 * context-bearing ones to the right application user, none wrongly; the changes no evidence explains
 * must come back unattributed, and the coverage query must count them honestly.
 *
 * Ground truth comes from the source itself: each transaction's xid is read inside it. The workload has
 * deliberate gaps: `dave` is not audited (pgaudit.log = 'none'), and `bob` runs with pgaudit.log_rows =
 * off, so his single-statement transactions are logged with no xid and cannot be tied to their changes
 * (his multi-statement ones are, through the session and vxid; and set_actor gives the transaction an xid
 * before its first write).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase } from '../helpers/db.js';
import { pgauditUnavailable, startPgauditServer, type PgauditServer } from '../helpers/pgaudit-server.js';
import { loadEnv } from '../../src/config/env.js';
import { parseIngestArgs } from '../../src/cli/commands/ingest-options.js';
import { ingestFileCommand } from '../../src/cli/commands/ingest-file.js';
import { startPostgresCapture } from '../../src/cli/commands/ingest-postgres.js';
import { installSetActor } from '../../src/sources/postgres/set-actor.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate } from '../../src/warehouse/migrate.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import type { Logger } from '../../src/log.js';

const unavailable = pgauditUnavailable();
if (unavailable) {
  process.stderr.write(`\n*** SKIPPED test/integration/attribution-real.test.ts: ${unavailable} ***\n\n`);
}

const say = (level: string) => (m: string) => { if (process.env.AUDITQL_TEST_DEBUG) process.stderr.write(`[${level}] ${m}\n`); };
const quiet: Logger = { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') };
const SERVER = 'shop-pg';
const XID = `(pg_current_xact_id()::text::bigint % 4294967296)::text`;

/** What the source says about one transaction, recorded inside it. */
interface TxTruth {
  readonly xid: string;
  readonly role: string;
  /** Who attribution must name: null where the workload leaves no evidence. */
  readonly dbUser: string | null;
  readonly appUser: string | null;
  /** Audited statements (each touches one table: one pgAudit entry). */
  readonly statements: number;
  readonly rows: number;
}

const SETUP = `
  create role alice login; create role bob login; create role carol login; create role shop_web login; create role dave login;
  alter role alice set pgaudit.log_rows = on;
  alter role carol set pgaudit.log_rows = on;
  alter role shop_web set pgaudit.log_rows = on;
  alter role bob set pgaudit.log_rows = off;
  alter role dave set pgaudit.log = 'none';
  create table accounts (id int primary key, owner text not null, balance numeric(12,2) not null default 0);
  create table orders (order_id bigint primary key, account_id int not null, total numeric(12,2), status text);
  insert into accounts values (1, 'house', 0);
  grant select, insert, update, delete on accounts, orders to alice, bob, carol, shop_web, dave;
  create publication shop_pub for table accounts, orders;
`;
/** Both slots exist before the workload, so each capture sees all of it (one statement each: not in a write transaction). */
const SLOTS = ['slot_log_first', 'slot_changes_first'];

type Step = readonly [sql: string, params?: readonly unknown[]];

/** One database user's session: transactions one after another, each recorded with its xid. */
class Worker {
  readonly truth: TxTruth[] = [];
  private constructor(private readonly c: pg.Client, readonly role: string, private readonly audited: 'rows' | 'no-rows' | 'none') {}

  static async open(server: PgauditServer, role: string, audited: 'rows' | 'no-rows' | 'none'): Promise<Worker> {
    const c = new pg.Client({ connectionString: server.url('shop', role), application_name: `${role}-app` });
    c.on('error', () => {}); // a lost connection fails the query that was running
    await c.connect();
    return new Worker(c, role, audited);
  }

  /** BEGIN; [set_actor]; steps; read the xid; COMMIT. */
  async tx(steps: readonly Step[], appUser: string | null = null): Promise<void> {
    await this.c.query('BEGIN');
    if (appUser) await this.c.query('SELECT auditql.set_actor($1, $2)', [appUser, JSON.stringify({ requestId: `${this.role}-${this.truth.length}` })]);
    let rows = 0;
    for (const [s, p] of steps) rows += (await this.c.query(s, p as unknown[] | undefined)).rowCount ?? 0;
    const xid = (await this.c.query(`select ${XID} as x`)).rows[0].x as string;
    await this.c.query('COMMIT');
    // log_rows = off logs a write before the executor, so the first write of a transaction has no xid; a
    // later entry of the same transaction (or set_actor, which assigns the xid first) ties it.
    const tied = this.audited === 'rows' || steps.length > 1 || appUser !== null;
    this.truth.push({ xid, role: this.role, dbUser: this.audited !== 'none' && tied ? this.role : null, appUser, statements: steps.length, rows });
  }

  /** One statement in autocommit, its xid from RETURNING. */
  async single(sql: string, params: readonly unknown[]): Promise<void> {
    const r = await this.c.query(`${sql} returning ${XID} as x`, params as unknown[]);
    const tied = this.audited === 'rows';
    this.truth.push({ xid: r.rows[0].x, role: this.role, dbUser: this.audited !== 'none' && tied ? this.role : null, appUser: null, statements: 1, rows: r.rowCount ?? 0 });
  }

  end(): Promise<void> {
    return this.c.end();
  }
}

/** Each worker's share of the workload: its own ids (base…), plus the one row everyone updates. */
async function workload(w: Worker, base: number, appUsers: readonly (string | null)[]): Promise<void> {
  const hot: Step = ['update accounts set balance = balance + 1 where id = 1'];
  for (let i = 0; i < 6; i++) {
    const id = base + i;
    const app = appUsers[i % appUsers.length] ?? null;
    await w.single('insert into accounts (id, owner, balance) values ($1, $2, 10)', [id, w.role]);
    await w.tx([
      ['update accounts set balance = balance - 1 where id = $1', [id]],
      ['insert into orders (order_id, account_id, total, status) values ($1, $2, 9.99, $3)', [id, id, 'new']],
      hot,
    ], app);
    await w.tx([['update orders set status = $1 where order_id = $2', ['paid', id]]], app);
    if (i % 2 === 1) await w.tx([['delete from orders where order_id = $1', [id - 1]], hot], app);
  }
}

interface ChangeNodeView {
  id: string;
  table: string;
  transaction: { id: string } | null;
  actor: { dbUser: string | null; appUser: string | null; conflict: boolean; confidence: string; evidence: { source: string; confidence: string }[] } | null;
}

async function graphql<T>(api: ApiServer, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const CHANGES = `query($after: String) {
  changes(filter: {source: "shop-wal"}, first: 100, after: $after, order: FEED_ORDER) {
    pageInfo { hasNextPage endCursor }
    nodes { id table transaction { id } actor { dbUser appUser conflict confidence evidence { source confidence } } }
  }
}`;

async function allChanges(api: ApiServer): Promise<ChangeNodeView[]> {
  const out: ChangeNodeView[] = [];
  let after: string | null = null;
  for (;;) {
    const d: { changes: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: ChangeNodeView[] } } = await graphql(api, CHANGES, { after });
    out.push(...d.changes.nodes);
    if (!d.changes.pageInfo.hasNextPage) return out;
    after = d.changes.pageInfo.endCursor;
  }
}

describe.skipIf(unavailable !== null)('attribution on a real PostgreSQL 15 + pgAudit workload', () => {
  let server: PgauditServer;
  let truth: Map<string, TxTruth>;
  let expectedChanges = 0;
  const warehouses: { url: string; drop: () => Promise<void>; db?: WarehouseDb; api?: ApiServer }[] = [];

  beforeAll(async () => {
    server = await startPgauditServer();
    const admin = new pg.Client({ connectionString: server.url('postgres') });
    await admin.connect();
    await admin.query('create database shop');
    await admin.end();
    const shop = new pg.Client({ connectionString: server.url('shop') });
    shop.on('error', () => {}); // the server may stop under a failed run: the test reports the real failure
    await shop.connect();
    await shop.query(SETUP);
    for (const slot of SLOTS) await shop.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    await installSetActor(server.url('shop'));

    // Five database users at once; each transaction also updates the one shared row (id 1).
    const workers = await Promise.all([
      Worker.open(server, 'alice', 'rows'),
      Worker.open(server, 'carol', 'rows'),
      Worker.open(server, 'bob', 'no-rows'),
      Worker.open(server, 'shop_web', 'rows'),
      Worker.open(server, 'dave', 'none'),
    ]);
    const [alice, carol, bob, web, dave] = workers as [Worker, Worker, Worker, Worker, Worker];
    await Promise.all([
      workload(alice, 1000, [null]),
      workload(carol, 2000, [null]),
      workload(bob, 3000, [null, null, 'bea@example.com']),
      workload(web, 4000, ['ann@example.com', 'ben@example.com', null]),
      workload(dave, 5000, ['dan@example.com', null]),
    ]);
    await Promise.all(workers.map((w) => w.end()));
    truth = new Map(workers.flatMap((w) => w.truth).map((t) => [t.xid, t]));
    expectedChanges = [...truth.values()].reduce((n, t) => n + t.rows, 0);
    // Readiness: the log holds everything once a statement run after the workload is in it.
    await shop.query('create table workload_done (x int)');
    await shop.end();
    await server.waitForLog('workload_done');
  }, 120_000);

  afterAll(async () => {
    for (const w of warehouses) {
      await w.api?.close();
      await w.db?.close();
      await w.drop();
    }
    await server?.stop();
  });

  async function newWarehouse() {
    const d = await createDatabase('attr');
    const entry: (typeof warehouses)[number] = { url: d.url, drop: d.drop };
    warehouses.push(entry);
    entry.db = openWarehouse(d.url);
    await migrate(entry.db.pool);
    return entry as Required<typeof entry>;
  }

  async function ingestLog(url: string): Promise<void> {
    const o = parseIngestArgs(['--from', 'file', '--format', 'pgaudit', '--source', 'shop-pgaudit', '--server', SERVER, server.csvLog]);
    expect(await ingestFileCommand(loadEnv({ DATABASE_URL: url, AUDITQL_LOG_LEVEL: 'warn' }), o, quiet)).toBe(0);
  }

  async function captureChanges(db: WarehouseDb, slot: string): Promise<void> {
    const o = parseIngestArgs(['--from', 'postgres', '--source', 'shop-wal', '--server', SERVER,
      '--source-url', server.url('shop'), '--publication', 'shop_pub', '--slot', slot]);
    const capture = await startPostgresCapture({
      pool: db.pool, sourceName: o.source, sourceUrl: o.sourceUrl!, publication: o.publication!, slot: o.slot!, ctx: o.ctx, log: quiet,
    });
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const n = (await db.pool.query(`select count(*)::int as n from auditql.changes where source = 'shop-wal'`)).rows[0].n as number;
        if (n >= expectedChanges) break;
        say('debug')(`captured ${n} of ${expectedChanges}`);
        if (Date.now() > deadline) throw new Error(`captured ${n} of ${expectedChanges} changes`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await capture.stop();
    }
  }

  async function verify(db: WarehouseDb): Promise<ApiServer> {
    const api = await startApiServer({ warehouse: db, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', log: quiet });
    const changes = await allChanges(api);
    expect(changes).toHaveLength(expectedChanges);

    // Every change: the right database user and application user, or none where there is no evidence.
    const wrong: unknown[] = [];
    for (const c of changes) {
      const t = truth.get(c.transaction?.id ?? '');
      if (!t) {
        wrong.push({ change: c.id, problem: 'transaction not in the workload', tx: c.transaction });
        continue;
      }
      const got = { dbUser: c.actor?.dbUser ?? null, appUser: c.actor?.appUser ?? null, conflict: c.actor?.conflict ?? false };
      const want = { dbUser: t.dbUser, appUser: t.appUser, conflict: false };
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push({ change: c.id, table: c.table, role: t.role, xid: t.xid, got, want });
      if (t.dbUser === null && t.appUser === null && c.actor !== null) wrong.push({ change: c.id, problem: 'an actor without evidence', actor: c.actor });
      const kinds = new Set(c.actor?.evidence.map((e) => `${e.source}/${e.confidence}`) ?? []);
      const wantKinds = new Set([...(t.dbUser ? ['ACTIVITY_TX/EXACT'] : []), ...(t.appUser ? ['APP_CONTEXT/EXACT'] : [])]);
      if ([...kinds].sort().join() !== [...wantKinds].sort().join()) wrong.push({ change: c.id, evidence: [...kinds], want: [...wantKinds] });
    }
    expect(wrong).toEqual([]);

    // The workload really exercises every case.
    const all = [...truth.values()];
    const perChange = changes.map((c) => truth.get(c.transaction!.id)!);
    const count = (f: (t: TxTruth) => boolean) => perChange.filter(f).length;
    expect(new Set(all.filter((t) => t.dbUser).map((t) => t.dbUser))).toEqual(new Set(['alice', 'carol', 'bob', 'shop_web']));
    expect(count((t) => t.role === 'bob' && t.dbUser === 'bob' && t.appUser === null)).toBeGreaterThan(0); // tied via vxid
    expect(count((t) => t.role === 'bob' && t.dbUser === null)).toBeGreaterThan(0); // no xid in the log: honest gap
    expect(count((t) => t.role === 'dave' && t.appUser === 'dan@example.com')).toBeGreaterThan(0);

    // Coverage reports the gaps honestly.
    const unattributed = count((t) => t.dbUser === null && t.appUser === null);
    expect(unattributed).toBeGreaterThan(0);
    say('debug')(`workload: ${expectedChanges} changes, ${unattributed} without evidence, ${count((t) => t.dbUser !== null)} with a database user, ${count((t) => t.appUser !== null)} with an application user`);
    const cov = await graphql<{ attributionCoverage: Record<string, number> }>(api,
      `{ attributionCoverage(source: "shop-wal") { total exact probable unattributed conflicting withDbUser withAppUser } }`);
    expect(cov.attributionCoverage).toEqual({
      total: expectedChanges,
      exact: expectedChanges - unattributed,
      probable: 0,
      unattributed,
      conflicting: 0,
      withDbUser: count((t) => t.dbUser !== null),
      withAppUser: count((t) => t.appUser !== null),
    });
    const gaps = await graphql<{ unattributedChanges: { nodes: { transaction: { id: string } }[] } }>(api,
      `{ unattributedChanges(source: "shop-wal", first: 500) { nodes { transaction { id } } } }`);
    expect(gaps.unattributedChanges.nodes).toHaveLength(unattributed);
    for (const n of gaps.unattributedChanges.nodes) expect(truth.get(n.transaction.id)).toMatchObject({ dbUser: null, appUser: null });

    // whoChanged finds changes by application user and by database user.
    const who = async (table: string, user: string) =>
      (await graphql<{ whoChanged: { nodes: { id: string }[] } }>(api,
        `query($t: String!, $u: String!) { whoChanged(table: $t, user: $u, first: 500) { nodes { id } } }`, { t: table, u: user })).whoChanged.nodes.map((n) => n.id).sort();
    const expectIds = (table: string, f: (t: TxTruth) => boolean) => changes.filter((c) => c.table === table && f(truth.get(c.transaction!.id)!)).map((c) => c.id).sort();
    expect(await who('accounts', 'ann@example.com')).toEqual(expectIds('accounts', (t) => t.appUser === 'ann@example.com'));
    expect(await who('orders', 'bob')).toEqual(expectIds('orders', (t) => t.dbUser === 'bob'));
    expect((await who('orders', 'ann@example.com')).length).toBeGreaterThan(0);

    // activityByUser with an application user: the statements of that user's transactions.
    const annTx = all.filter((t) => t.appUser === 'ann@example.com');
    const act = await graphql<{ activityByUser: { nodes: { dbUser: string; transactionId: string | null }[] } }>(api,
      `{ activityByUser(user: "ann@example.com", first: 500) { nodes { dbUser transactionId } } }`);
    expect(act.activityByUser.nodes).toHaveLength(annTx.reduce((n, t) => n + t.statements, 0));
    for (const a of act.activityByUser.nodes) {
      expect(a.dbUser).toBe('shop_web');
      expect(annTx.map((t) => t.xid)).toContain(a.transactionId);
    }

    // Transaction: its statements (including bob's first write, logged before it had an xid) and context.
    const tx = async (t: TxTruth) => (await graphql<{ transaction: { appUser: string | null; context: { requestId?: string } | null; activity: { nodes: { dbUser: string; transactionId: string | null }[] }; changes: { nodes: unknown[] } } }>(api,
      `query($id: String!) { transaction(id: $id, server: "${SERVER}") { appUser context activity(first: 50) { nodes { dbUser transactionId } } changes(first: 50) { nodes { id } } } }`, { id: t.xid })).transaction;
    const ann = await tx(annTx.find((t) => t.statements === 3)!);
    expect(ann.appUser).toBe('ann@example.com');
    expect(ann.context?.requestId).toMatch(/^shop_web-/);
    expect(ann.activity.nodes).toHaveLength(3);
    const bobTied = all.find((t) => t.role === 'bob' && t.statements === 3 && t.appUser === null)!;
    const bobTx = await tx(bobTied);
    expect(bobTx.activity.nodes.map((a) => a.dbUser)).toEqual(['bob', 'bob', 'bob']);
    expect(bobTx.activity.nodes.filter((a) => a.transactionId === null)).toHaveLength(1); // the first write: tied by vxid
    expect(bobTx.changes.nodes).toHaveLength(bobTied.rows);
    return api;
  }

  it('log first, then the changes: every change attributed right, none wrongly, gaps counted', async () => {
    const w = await newWarehouse();
    await ingestLog(w.url);
    await captureChanges(w.db, 'slot_log_first');
    w.api = await verify(w.db);
    // Ingesting the log again stores nothing and attributes nothing new.
    const before = (await w.db.pool.query('select count(*)::int as n from auditql.attributions')).rows[0].n;
    await ingestLog(w.url);
    expect((await w.db.pool.query('select count(*)::int as n from auditql.attributions')).rows[0].n).toBe(before);
  }, 120_000);

  it('changes first, then the log: the same attribution, settled when the log arrives', async () => {
    const w = await newWarehouse();
    await captureChanges(w.db, 'slot_changes_first');
    const early = (await w.db.pool.query(`select count(*)::int as n from auditql.attributions where evidence <> 'APP_CONTEXT'`)).rows[0].n;
    expect(early).toBe(0); // nothing but application context is known before the log arrives
    await ingestLog(w.url);
    w.api = await verify(w.db);
  }, 120_000);
});
