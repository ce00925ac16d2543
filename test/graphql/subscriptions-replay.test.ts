/**
 * Replay and resumption of subscriptions against real PostgreSQL and real servers (docs/subscriptions.md
 * "Replay"): no gap and no duplicate at the seam while writers keep committing and clients disconnect;
 * several API processes on one warehouse; the LISTEN connection dropping; the poll alone; a client too
 * slow to keep up, dropped with the documented error and close code, then resuming from its last cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import type { AuditEvent } from '../../src/model/events.js';
import { ChangeFeed } from '../../src/feed/change-feed.js';
import { feedChanges } from '../../src/warehouse/queries/feed.js';
import { silentLogger } from '../../src/log.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import type { SubscriptionOptions } from '../../src/graphql/subscriptions/graphql-ws-transport.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe, type Sub } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { postGraphql } from './helpers.js';
import { mkActivity, mkChange } from './seed.js';

interface Msg {
  changeAdded: { id: string; cursor: string };
}

/** A `ws` WebSocket whose reading can be paused, to play a client that stops reading its socket. */
class PausableWebSocket extends WebSocket {
  static last: PausableWebSocket | null = null;
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    PausableWebSocket.last = this;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (s: Sub<Msg>) => s.results.map((r) => r.data!.changeAdded.id);

const changesOf = (table: string) => `subscription($after: String) { changeAdded(filter: {table: "${table}"}, after: $after) { id cursor } }`;

let w: TestWarehouse;
/** A second pool: the writers are "another process" as far as the API's pool is concerned. */
let ingest: WarehouseDb;

async function write(events: readonly AuditEvent[], db: WarehouseDb = ingest): Promise<readonly string[]> {
  const r = await new WarehouseSink(db.pool).write({ source: 'writer', events, deadLetters: [], checkpoints: [] });
  return r.seqs.change;
}

/** The stored seqs of a table above `after`, in feed order. */
async function storedAfter(table: string, after: string): Promise<string[]> {
  const r = await w.pool.query<{ seq: string }>('select seq from auditql.changes where table_name = $1 and seq > $2 order by seq', [table, after]);
  return r.rows.map((x) => x.seq);
}

async function start(o: SubscriptionOptions): Promise<ApiServer> {
  return startApiServer({ warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', log: silentLogger, subscriptions: o });
}

/** The cursor of the newest change of `table`, from the HTTP API. */
async function cursorOf(api: ApiServer, table: string): Promise<string> {
  const r = await postGraphql<{ changes: { edges: { cursor: string }[] } }>(api.url, `{ changes(filter: {table: "${table}"}, first: 1) { edges { cursor } } }`);
  return r.data!.changes.edges[0]!.cursor;
}

beforeAll(async () => {
  w = await freshWarehouse();
  ingest = openWarehouse(w.url, { max: 4 });
});
afterAll(async () => {
  await ingest?.close();
  await w?.destroy();
});

describe('replay, then live', () => {
  it('loses and repeats nothing across the seam and two disconnects while two writers keep committing', async () => {
    // Small pages and queues force many replay pages, joins with a pending gap, and detaches.
    let feed: ChangeFeed | undefined;
    const api = await start({ onFeed: (f) => (feed = f), feed: { pageSize: 7, queueLimit: 24, pollMs: 200 } });
    try {
      const [seq0] = await write([mkChange({ table: 'r', key: { id: 0 } })]);
      const cursor0 = await cursorOf(api, 'r');
      // a backlog to replay
      for (let i = 1; i <= 50; i += 5) await write(Array.from({ length: 5 }, (_, j) => mkChange({ table: 'r', key: { id: i + j } })));

      // two writers, concurrent with everything below: matching rows, other tables, activity
      let stop = false;
      const writer = async (n: number) => {
        for (let i = 0; i < 120 && !stop; i++) {
          const batch: AuditEvent[] = [];
          for (let k = 0; k < 1 + ((i * 7 + n) % 3); k++) batch.push(mkChange({ table: 'r', key: { id: 1000 * n + i * 10 + k } }));
          if (i % 4 === 0) batch.push(mkChange({ table: 'not_r', key: { id: i } }));
          if (i % 5 === 0) batch.push(mkActivity({ class: 'WRITE' }));
          await write(batch);
          await sleep((i * 13 + n * 5) % 12);
        }
      };
      const writers = Promise.all([writer(1), writer(2)]);

      // 1: replays the backlog, goes live, and is cut off abruptly mid-stream
      const c1 = connect(api.url);
      const s1 = subscribe<Msg>(c1.client, changesOf('r'), { after: cursor0 });
      await until('80 rows on the first connection', () => s1.results.length >= 80);
      c1.client.terminate();
      const got1 = ids(s1);
      const last1 = s1.results.at(-1)!.data!.changeAdded.cursor;
      await sleep(150); // writers go on while nobody listens

      // 2: resumes from the last cursor it saw, takes some, disconnects cleanly
      const c2 = connect(api.url);
      const s2 = subscribe<Msg>(c2.client, changesOf('r'), { after: last1 });
      await until('40 rows on the second connection', () => s2.results.length >= 40);
      await c2.client.dispose();
      const got2 = ids(s2);
      const last2 = s2.results.at(-1)!.data!.changeAdded.cursor;

      // 3: resumes again, until the writers are done and everything arrived
      const c3 = connect(api.url);
      const s3 = subscribe<Msg>(c3.client, changesOf('r'), { after: last2 });
      await writers;
      const all = await storedAfter('r', seq0!);
      await until('every row', () => (s3.results.at(-1)?.data!.changeAdded.id ?? '') === all.at(-1));
      await sleep(300);
      await c3.client.dispose();

      const received = [...got1, ...got2, ...ids(s3)];
      expect(all.length).toBeGreaterThan(250);
      expect(received.length).toBe(all.length);
      expect(received).toEqual(all); // every row, in seq order: no gap, no duplicate
      for (const s of [s1, s2, s3]) expect(s.results.every((r) => !r.errors)).toBe(true);
      // both paths were taken: private replay pages and shared live reads
      expect(feed!.stats.replayReads).toBeGreaterThanOrEqual(8);
      expect(feed!.stats.groupReads).toBeGreaterThan(10);
    } finally {
      await api.close();
    }
  });
});

describe('several API processes', () => {
  it('each receives what a third process writes, woken by its own LISTEN', async () => {
    const feeds: ChangeFeed[] = [];
    // no poll within the test's time: delivery must come from the notification
    const a = await start({ onFeed: (f) => feeds.push(f), feed: { pollMs: 600_000 } });
    const b = await start({ onFeed: (f) => feeds.push(f), feed: { pollMs: 600_000 } });
    try {
      const [seq0] = await write([mkChange({ table: 'two', key: { id: 0 } })]);
      const cursor0 = await cursorOf(a, 'two');
      const ca = connect(a.url);
      const cb = connect(b.url);
      const sa = subscribe<Msg>(ca.client, changesOf('two'), { after: cursor0 });
      const sb = subscribe<Msg>(cb.client, changesOf('two'), { after: cursor0 });
      await until('both live', () => feeds.every((f) => f.size.groups === 1 && f.size.listening));
      const written: string[] = [];
      for (let i = 1; i <= 10; i++) written.push(...(await write([mkChange({ table: 'two', key: { id: i } })])));
      await until('both got all', () => sa.results.length >= 10 && sb.results.length >= 10);
      expect(ids(sa)).toEqual(written);
      expect(ids(sb)).toEqual(written);
      expect(await storedAfter('two', seq0!)).toEqual(written);
      for (const f of feeds) expect(f.stats.notifications).toBeGreaterThan(0);
      await Promise.all([ca.client.dispose(), cb.client.dispose()]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('wake-ups', () => {
  it('re-reads from the cursor when the LISTEN connection is killed: rows committed meanwhile arrive', async () => {
    let feed: ChangeFeed | undefined;
    const api = await start({ onFeed: (f) => (feed = f), feed: { pollMs: 600_000 } });
    try {
      await write([mkChange({ table: 'kill', key: { id: 0 } })]);
      const c = connect(api.url);
      const s = subscribe<Msg>(c.client, changesOf('kill'), { after: await cursorOf(api, 'kill') });
      await until('live', () => feed?.size.groups === 1 && feed.size.listening);
      const before = await write([mkChange({ table: 'kill', key: { id: 1 } })]);
      await until('the first row', () => s.results.length === 1);
      const killed = await w.pool.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'auditql-feed' and datname = current_database()`);
      expect(killed.rowCount).toBe(1);
      // committed while no LISTEN is active: their notifications are lost
      const during: string[] = [];
      for (let i = 2; i <= 4; i++) during.push(...(await write([mkChange({ table: 'kill', key: { id: i } })])));
      await until('the rows committed while disconnected', () => s.results.length === 4, 20_000);
      expect(ids(s)).toEqual([...before, ...during]);
      await until('a new LISTEN connection', async () =>
        (await w.pool.query(`select 1 from pg_stat_activity where application_name = 'auditql-feed' and datname = current_database()`)).rowCount === 1);
      const after = await write([mkChange({ table: 'kill', key: { id: 5 } })]);
      await until('a row after the reconnect', () => s.results.length === 5);
      expect(ids(s).at(-1)).toBe(after[0]);
      await c.client.dispose();
    } finally {
      await api.close();
    }
  });

  it('delivers by polling alone when there is no LISTEN', async () => {
    const feed = new ChangeFeed({ db: w.db, listenUrl: null, log: silentLogger, pollMs: 100 });
    try {
      const [seq0] = await write([mkChange({ table: 'poll', key: { id: 0 } })]);
      const spec = { key: 'poll', read: (s: Parameters<typeof feedChanges>[2]) => feedChanges(w.db, { table: 'poll' }, s), prepare: (rows: readonly { seq: string }[]) => rows.map((r) => r.seq) };
      const sub = feed.subscribe(spec, BigInt(seq0!));
      const written: string[] = [];
      for (let i = 1; i <= 3; i++) written.push(...(await write([mkChange({ table: 'poll', key: { id: i } })])));
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push((await sub.next()).value as string);
      expect(got).toEqual(written);
      expect(feed.stats.notifications).toBe(0);
    } finally {
      await feed.close();
    }
  });
});

describe('a client that cannot keep up', () => {
  it('is dropped with AUDITQL_SUBSCRIBER_TOO_SLOW and close 4429, and resumes from its last cursor', async () => {
    let feed: ChangeFeed | undefined;
    const api = await start({ onFeed: (f) => (feed = f), feed: { queueLimit: 8, stallMs: 400, pageSize: 50 } });
    try {
      const [seq0] = await write([mkChange({ table: 'slow', key: { id: 0 } })]);
      const cursor0 = await cursorOf(api, 'slow');
      const c = connect(api.url, { webSocketImpl: PausableWebSocket });
      const big = 'x'.repeat(20_000);
      const query = `subscription($after: String) { changeAdded(filter: {table: "slow"}, after: $after) { id cursor after } }`;
      const s = subscribe<Msg>(c.client, query, { after: cursor0 });
      await write([mkChange({ table: 'slow', key: { id: 1 }, after: { id: 1, blob: big } })]);
      await until('the first row', () => s.results.length === 1);
      const socket = PausableWebSocket.last!;
      socket.pause(); // the client stops reading: its TCP window closes, then the server's send buffer fills
      for (let i = 2; i <= 1000; i += 50) {
        await write(Array.from({ length: 50 }, (_, j) => mkChange({ table: 'slow', key: { id: i + j }, after: { id: i + j, blob: big } })));
      }
      await until('the server to drop it', () => (feed?.stats.dropped ?? 0) >= 1);
      socket.resume(); // it reads what was already on the way: some rows, then the error, then the close
      await until('the close', () => c.closed.length > 0);
      expect(c.closed[0]).toEqual({ code: 4429, reason: 'AUDITQL_SUBSCRIBER_TOO_SLOW' });
      expect(s.errors).toHaveLength(1);
      const [error] = s.errors[0] as { message: string; extensions: { code: string } }[];
      expect(error!.extensions.code).toBe('AUDITQL_SUBSCRIBER_TOO_SLOW');
      expect(error!.message).toMatch(/resubscribe with `after`/);
      const all = await storedAfter('slow', seq0!);
      expect(s.results.length).toBeLessThan(all.length);
      expect(feed!.size.subscriptions).toBe(0); // nothing of it is left on the server

      // resuming from the last cursor it got misses nothing
      const c2 = connect(api.url);
      const s2 = subscribe<Msg>(c2.client, `subscription($after: String) { changeAdded(filter: {table: "slow"}, after: $after) { id cursor } }`, {
        after: s.results.at(-1)!.data!.changeAdded.cursor,
      });
      await until('the rest', () => s2.results.length + s.results.length >= all.length);
      expect([...ids(s), ...ids(s2)]).toEqual(all);
      await c2.client.dispose();
      await c.client.dispose();
    } finally {
      await api.close();
    }
  });
});
