/**
 * A subscriber whose client stops reading its socket (docs/subscriptions.md "Flow control and slow
 * clients"), against a real server and real PostgreSQL: one raw `ws` client that pauses its socket after
 * `connection_init` and `subscribe`, and 100 graphql-ws clients that read, during an ingest large enough
 * to fill every buffer between the server and the paused client. The paused one is dropped within bounded
 * time with what it holds on the server bounded; when it reads again it gets the events that were on
 * their way, then AUDITQL_SUBSCRIBER_TOO_SLOW, then close 4429; the others get every event in order; the
 * server logs no ERR_STREAM_DESTROYED; resuming from its last cursor gets exactly the rest.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client } from 'graphql-ws';
import type { AuditEvent } from '../../src/model/events.js';
import type { ChangeFeed } from '../../src/feed/change-feed.js';
import { decodeChangeCursor } from '../../src/graphql/cursor.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import type { TooSlowConnection } from '../../src/graphql/subscriptions/slow-connections.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, rawSubscriber, subscribe, type Sub } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { storedSeqsAfter, writeChanges } from '../helpers/feed-rows.js';
import { memoryLogger } from './helpers.js';
import { mkChange } from './seed.js';

const TABLE = 'burst';
const FAST = 100;
const HIGH_WATER = 64 * 1024;
const BLOB = 'x'.repeat(16 * 1024);

interface Msg {
  changeAdded: { cursor: string };
}
const seqOf = (cursor: string) => BigInt(decodeChangeCursor(cursor).seq);
const cursorsOf = (s: Sub<Msg>) => s.results.map((r) => r.data!.changeAdded.cursor);

let w: TestWarehouse;
let api: ApiServer;
let feed: ChangeFeed | undefined;
const tooSlow: TooSlowConnection[] = [];
const log = memoryLogger();
const consoleError = vi.spyOn(console, 'error');
const clients: Client[] = [];

const write = (events: readonly AuditEvent[]) => writeChanges(w.pool, 'burst-writer', events);
const storedAfter = (after: bigint) => storedSeqsAfter(w.pool, TABLE, after);

beforeAll(async () => {
  w = await freshWarehouse();
  api = await startApiServer({ auth: { mode: 'none' },
    warehouse: w, port: 0, host: '127.0.0.1', log,
    subscriptions: {
      onFeed: (f) => (feed = f),
      onTooSlow: (e) => void tooSlow.push(e),
      // the queue's own stall is far off: this is about the socket
      feed: { pollMs: 100, queueLimit: 300, stallMs: 120_000 },
      socketHighWaterBytes: HIGH_WATER,
      socketStallMs: 500,
      closeGraceMs: 30_000,
      keepAliveMs: 120_000,
    },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await api?.close();
  await w?.destroy();
  consoleError.mockRestore();
});

describe('a subscriber that stops reading its socket', () => {
  it('is dropped with AUDITQL_SUBSCRIBER_TOO_SLOW and close 4429 in bounded time and memory, without slowing the others', async () => {
    // 100 that read, selecting little; one that will stop reading, selecting 16 KiB per event
    const fast = Array.from({ length: FAST }, () => {
      const c = connect(api.url);
      clients.push(c.client);
      return { ...c, sub: subscribe<Msg>(c.client, `subscription { changeAdded(filter: {table: "${TABLE}"}) { cursor } }`) };
    });
    const slow = await rawSubscriber(api.url, `subscription { changeAdded(filter: {table: "${TABLE}"}) { cursor after } }`);

    // "now" is when the server handles each subscribe: write until every one of them has had a row
    let k = 0;
    await until('every subscriber live', async () => {
      if (slow.cursors().length > 0 && fast.every((f) => f.sub.results.length > 0)) return true;
      await write([mkChange({ table: TABLE, key: { warmup: k++ } })]);
      return false;
    });
    slow.socket.pause(); // reads nothing more: its TCP window closes, then the server's buffers fill
    const start = await storedAfter(0n).then((all) => all.at(-1)!);

    // the burst: 100 rows of 16 KiB per commit, until the server drops the paused one (or 6,000 rows)
    let rows = 0;
    while (tooSlow.length === 0 && rows < 6000) {
      await write(Array.from({ length: 100 }, (_, j) => mkChange({ table: TABLE, key: { id: rows + j }, after: { id: rows + j, blob: BLOB } })));
      rows += 100;
    }
    await until('the server to drop the paused subscriber', () => tooSlow.length > 0);
    // and a few more rows after the drop: the resumed subscription must get them too
    await write(Array.from({ length: 50 }, (_, j) => mkChange({ table: TABLE, key: { id: rows + j }, after: { id: rows + j } })));
    rows += 50;

    // dropped for its socket, holding no more than the high-water mark plus the message in flight
    expect(tooSlow).toEqual([{ cause: 'socket', bufferedBytes: expect.any(Number), subscriptions: 1 }]);
    expect(tooSlow[0]!.bufferedBytes).toBeGreaterThanOrEqual(HIGH_WATER);
    expect(tooSlow[0]!.bufferedBytes).toBeLessThan(HIGH_WATER + 2 * (BLOB.length + 1024));
    await until('its subscription released on the server', () => feed!.size.subscriptions === FAST);

    // reading again, it gets what was on its way, then the error, then the close
    slow.socket.resume();
    await until('the close', () => slow.closed() !== null);
    expect(slow.closed()).toEqual({ code: 4429, reason: 'AUDITQL_SUBSCRIBER_TOO_SLOW' });
    const types = slow.messages.map((m) => m.type);
    expect(types.slice(0, 1)).toEqual(['connection_ack']);
    expect(types.slice(-1)).toEqual(['error']);
    expect(types.slice(1, -1).every((t) => t === 'next')).toBe(true);
    const error = slow.messages.at(-1)!;
    expect(error.id).toBe('slow');
    expect(error.payload).toEqual([{ message: expect.stringMatching(/resubscribe with `after`/), extensions: { code: 'AUDITQL_SUBSCRIBER_TOO_SLOW' } }]);

    // what it received is the stored rows in order, from its start, up to where it stopped
    const got = slow.cursors().map(seqOf);
    const firstSlow = got[0]!;
    const stored = [firstSlow, ...(await storedAfter(firstSlow))];
    expect(got).toEqual(stored.slice(0, got.length));
    expect(got.length).toBeLessThan(stored.length);

    // every one of the others gets every row, in order
    const all = await storedAfter(start);
    expect(all).toHaveLength(rows);
    await until('every row at every reading subscriber', () => fast.every((f) => f.sub.results.length > 0 && seqOf(cursorsOf(f.sub).at(-1)!) === all.at(-1)), 120_000);
    for (const f of fast) {
      const seqs = cursorsOf(f.sub).map(seqOf);
      expect(seqs.slice(seqs.indexOf(all[0]!))).toEqual(all);
      expect(f.sub.errors).toEqual([]);
      expect(f.closed).toEqual([]);
    }

    // nothing about destroyed streams, no masked internal errors
    const logged = [...log.lines, ...consoleError.mock.calls.map((c) => c.map(String).join(' '))];
    expect(logged.filter((l) => /ERR_STREAM_DESTROYED|graphql error|Internal error/.test(l))).toEqual([]);
    expect(log.lines.filter((l) => l.includes('dropped as too slow'))).toHaveLength(1);

    // resuming from the last cursor it got: exactly the rest, then what comes next
    const last = slow.cursors().at(-1)!;
    const c = connect(api.url);
    clients.push(c.client);
    const resumed = subscribe<Msg>(c.client, `subscription($after: String) { changeAdded(filter: {table: "${TABLE}"}, after: $after) { cursor } }`, { after: last });
    const rest = await storedAfter(seqOf(last));
    await until('the rest', () => resumed.results.length >= rest.length, 60_000);
    const [sentinel] = await write([mkChange({ table: TABLE, key: { sentinel: 1 } })]);
    await until('the sentinel', () => resumed.results.length > rest.length);
    expect(cursorsOf(resumed).map(seqOf)).toEqual([...rest, BigInt(sentinel!)]);
  });

  it('is disconnected after the grace when it never reads again, freeing what it held', async () => {
    const events: TooSlowConnection[] = [];
    const other = await startApiServer({ auth: { mode: 'none' },
      warehouse: w, port: 0, host: '127.0.0.1', log: memoryLogger(),
      subscriptions: { onTooSlow: (e) => void events.push(e), feed: { pollMs: 100, stallMs: 120_000 }, socketHighWaterBytes: HIGH_WATER, socketStallMs: 300, closeGraceMs: 300, keepAliveMs: 120_000 },
    });
    const connections = () => new Promise<number>((resolve, reject) => other.httpServer.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    try {
      const slow = await rawSubscriber(other.url, `subscription { changeAdded(filter: {table: "${TABLE}"}) { cursor after } }`);
      let k = 0;
      await until('live', async () => {
        if (slow.cursors().length > 0) return true;
        await write([mkChange({ table: TABLE, key: { late: k++ } })]);
        return false;
      });
      slow.socket.pause();
      expect(await connections()).toBe(1);
      for (let rows = 0; events.length === 0 && rows < 6000; rows += 100) {
        await write(Array.from({ length: 100 }, (_, j) => mkChange({ table: TABLE, key: { late: rows + j }, after: { blob: BLOB } })));
      }
      await until('the drop', () => events.length > 0);
      await until('the TCP connection closed by the server', async () => (await connections()) === 0);
      expect(slow.closed()).toBeNull(); // it has read nothing of it
      slow.socket.terminate();
    } finally {
      await other.close();
    }
  });
});
