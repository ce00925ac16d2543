/**
 * A burst with a slow subscriber among fast ones (docs/subscriptions.md "Fan-out" and "Flow control and
 * slow clients"), against a real server and real PostgreSQL: 20 graphql-ws clients that read and one raw
 * client that stops reading, while thousands of events are committed as fast as the sink takes them. The
 * slow one fills its socket, then its queue, and is dropped for its queue (AUDITQL_SUBSCRIBER_TOO_SLOW,
 * close 4429) holding no more than the high-water mark on its connection; the fast ones get every event
 * in order; the slow one, resuming with its last cursor, gets exactly what it missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import type { AuditEvent } from '../../src/model/events.js';
import type { ChangeFeed } from '../../src/feed/change-feed.js';
import { decodeChangeCursor } from '../../src/graphql/cursor.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import type { TooSlowConnection } from '../../src/graphql/subscriptions/slow-connections.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, rawSubscriber, subscribe, type Sub } from '../helpers/graphql-ws-client.js';
import { storedSeqsAfter, writeChanges } from '../helpers/feed-rows.js';
import { until } from '../helpers/until.js';
import { mkChange } from './seed.js';

const TABLE = 'burst2';
const FAST = 20;
const QUEUE = 200;
const HIGH_WATER = 64 * 1024;
const PAD = 'y'.repeat(4 * 1024);

interface Msg {
  changeAdded: { cursor: string };
}

let w: TestWarehouse;
let api: ApiServer;
let feed: ChangeFeed | undefined;
const tooSlow: TooSlowConnection[] = [];
const clients: Client[] = [];

const seqOf = (cursor: string) => BigInt(decodeChangeCursor(cursor).seq);
const cursorsOf = (s: Sub<Msg>) => s.results.map((r) => r.data!.changeAdded.cursor);
const write = (events: readonly AuditEvent[]) => writeChanges(w.pool, 'burst2-writer', events);
const storedAfter = (after: bigint) => storedSeqsAfter(w.pool, TABLE, after);

beforeAll(async () => {
  w = await freshWarehouse();
  api = await startApiServer({
    warehouse: w, port: 0, host: '127.0.0.1',
    subscriptions: {
      onFeed: (f) => (feed = f),
      onTooSlow: (e) => void tooSlow.push(e),
      // the queue's stall is short, the socket's far off: this is about the queue during a burst
      feed: { pollMs: 100, queueLimit: QUEUE, stallMs: 400 },
      socketHighWaterBytes: HIGH_WATER,
      socketStallMs: 120_000,
      closeGraceMs: 30_000,
      keepAliveMs: 120_000,
    },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await api?.close();
  await w?.destroy();
});

describe('a burst with a slow subscriber among fast ones', () => {
  it('delivers every event in order to the fast ones and drops the slow one, which resumes with exactly what it missed', async () => {
    const query = `subscription { changeAdded(filter: {table: "${TABLE}"}) { cursor after } }`;
    const fast = Array.from({ length: FAST }, () => {
      const c = connect(api.url);
      clients.push(c.client);
      return { ...c, sub: subscribe<Msg>(c.client, query) };
    });
    const slow = await rawSubscriber(api.url, query);
    let k = 0;
    await until('every subscriber live', async () => {
      if (slow.cursors().length > 0 && fast.every((f) => f.sub.results.length > 0)) return true;
      await write([mkChange({ table: TABLE, key: { warmup: k++ } })]);
      return false;
    });
    slow.socket.pause();
    const start = await storedAfter(0n).then((all) => all.at(-1)!);

    // the burst: batches of 500 as fast as the sink takes them, until the slow one is dropped (at least 3,000)
    let rows = 0;
    while ((tooSlow.length === 0 || rows < 3000) && rows < 40_000) {
      await write(Array.from({ length: 500 }, (_, j) => mkChange({ table: TABLE, key: { id: rows + j }, after: { id: rows + j, pad: PAD } })));
      rows += 500;
    }
    await until('the drop', () => tooSlow.length > 0);
    expect(tooSlow).toEqual([{ cause: 'queue', bufferedBytes: expect.any(Number), subscriptions: 1 }]);
    // bounded: its connection held at most the high-water mark and one more message
    expect(tooSlow[0]!.bufferedBytes).toBeLessThan(HIGH_WATER + PAD.length + 1024);
    await until('its subscription released on the server', () => feed!.size.subscriptions === FAST);

    // every fast one gets every event, in order
    const all = await storedAfter(start);
    expect(all).toHaveLength(rows);
    await until('every event at every fast subscriber', () => fast.every((f) => seqOf(cursorsOf(f.sub).at(-1)!) === all.at(-1)), 120_000);
    for (const f of fast) {
      const seqs = cursorsOf(f.sub).map(seqOf);
      expect(seqs.slice(seqs.indexOf(all[0]!))).toEqual(all);
      expect(f.sub.errors).toEqual([]);
      expect(f.closed).toEqual([]);
    }

    // the slow one, reading again: what was on its way, the error, the close
    slow.socket.resume();
    await until('the close', () => slow.closed() !== null);
    expect(slow.closed()).toEqual({ code: 4429, reason: 'AUDITQL_SUBSCRIBER_TOO_SLOW' });
    expect(slow.messages.at(-1)).toEqual({
      id: 'slow', type: 'error', payload: [{ message: expect.stringMatching(/resubscribe with `after`/), extensions: { code: 'AUDITQL_SUBSCRIBER_TOO_SLOW' } }],
    });
    const got = slow.cursors().map(seqOf);
    const fromFirst = [got[0]!, ...(await storedAfter(got[0]!))];
    expect(got).toEqual(fromFirst.slice(0, got.length));

    // resuming with its last cursor: exactly what it missed, then what comes next
    const last = slow.cursors().at(-1)!;
    const missed = await storedAfter(seqOf(last));
    expect(missed.length).toBeGreaterThan(0);
    const c = connect(api.url);
    clients.push(c.client);
    const resumed = subscribe<Msg>(c.client, `subscription($after: String) { changeAdded(filter: {table: "${TABLE}"}, after: $after) { cursor } }`, { after: last });
    await until('what it missed', () => resumed.results.length >= missed.length, 60_000);
    const [sentinel] = await write([mkChange({ table: TABLE, key: { sentinel: 1 } })]);
    await until('the sentinel', () => resumed.results.length > missed.length);
    expect(cursorsOf(resumed).map(seqOf)).toEqual([...missed, BigInt(sentinel!)]);
  });
});
