/**
 * bench:live burst mode (BENCHMARKS.md "bench:live"): N subscribers attached, then a burst of changes
 * committed in the source as fast as the capture and the sink take them; how long until the last
 * subscriber has the last event, against how long the ingest took.
 *
 * - Subscribers are raw `ws` clients speaking graphql-transport-ws, subscribed to
 *   `changeAdded(filter: {table: "bench_burst"}) { id after }`, spread round-robin over the API workers.
 *   They count `next` frames without parsing them (a warm-up row is told by `"sample":-` in its bytes), so
 *   the client side costs little next to the server's — on two cores it still shares them.
 * - The burst: BENCH_BURST rows (default 60,000) in source transactions of BENCH_BURST_TX rows (1,000),
 *   `insert … select generate_series`, back to back.
 * - ingest time: first source commit → the sink's `auditql_feed` notification at or above the last burst
 *   row's seq. delivery time: first source commit → the last subscriber has received its last burst row.
 *   burst_ratio = delivery / ingest; messages fanned out per second = N × burst / delivery.
 */
import pg from 'pg';
import WebSocket from 'ws';

export const BURST_TABLE = 'bench_burst';
const SUBSCRIPTION = `subscription BenchBurst { changeAdded(filter: {table: "${BURST_TABLE}"}) { id after } }`;
const WARM = Buffer.from('"sample":-');
/** The warm-up row written last: everything before it has been received once it has. */
const FENCE_SAMPLE = -999_999_999;
const FENCE = Buffer.from(`"sample":${FENCE_SAMPLE}`);
const now = () => performance.timeOrigin + performance.now();

export interface BurstSetup {
  readonly src: pg.Client;
  readonly whUrl: string;
  /** The API workers' URLs: subscribers go round-robin over them. */
  readonly apiUrls: readonly string[];
  /** The sink's notifications as this thread received them (seq, receipt time). */
  readonly notified: readonly { readonly seq: bigint; readonly at: number }[];
  readonly log: (m: string) => void;
}

export interface BurstResult {
  readonly n: number;
  readonly rows: number;
  readonly ingestMs: number;
  readonly deliveryMs: number;
  readonly msgsPerS: number;
  readonly ratio: number;
  /** Per API worker: until its last subscriber had the last row. */
  readonly perApiDeliveryMs: readonly number[];
  readonly complete: boolean;
}

interface BurstSubscriber {
  readonly socket: WebSocket;
  readonly api: number;
  warm: boolean;
  fenced: boolean;
  got: number;
  /** When it received its last expected row. */
  doneAt: number;
  closed: string | null;
}

function attach(url: string, api: number, expect: () => number): Promise<BurstSubscriber> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const s: BurstSubscriber = { socket, api, warm: false, fenced: false, got: 0, doneAt: 0, closed: null };
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', (code, reason) => (s.closed = `${code} ${String(reason)}`));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data: Buffer) => {
      if (data.indexOf('"type":"next"') < 0) {
        if (data.indexOf('"connection_ack"') >= 0) {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
          resolve(s);
        } else if (data.indexOf('"type":"ping"') < 0) {
          process.stderr.write(`bench:live burst subscriber: ${data.toString().slice(0, 300)}\n`);
        }
        return;
      }
      if (data.indexOf(WARM) >= 0) {
        s.warm = true;
        if (data.indexOf(FENCE) >= 0) s.fenced = true;
        return;
      }
      if (++s.got === expect()) s.doneAt = now();
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One burst at `n` subscribers; `first` numbers its rows (samples `first` …). */
export async function runBurst(setup: BurstSetup, n: number, rows: number, txRows: number, first: number): Promise<BurstResult> {
  const { src, apiUrls, log } = setup;
  const subs = await Promise.all(Array.from({ length: n }, (_, i) => attach(apiUrls[i % apiUrls.length]!, i % apiUrls.length, () => rows)));
  const t0 = performance.now();
  let warmups = 0;
  while (!subs.every((s) => s.warm)) {
    await src.query(`insert into ${BURST_TABLE} (sample, committed_ms) values ($1, extract(epoch from clock_timestamp()) * 1000)`, [-1 - warmups++]);
    await sleep(100);
    if (performance.now() - t0 > 120_000) throw new Error(`${n} burst subscribers not live after 120 s`);
  }
  // every warm-up row is behind each subscriber before the burst starts: the fence row comes last
  await src.query(`insert into ${BURST_TABLE} (sample, committed_ms) values ($1, 0)`, [FENCE_SAMPLE]);
  while (!subs.every((s) => s.fenced)) {
    await sleep(20);
    if (performance.now() - t0 > 180_000) throw new Error(`${n} burst subscribers did not get the fence row`);
  }
  log(`burst: ${n} subscriber(s) on ${apiUrls.length} API worker(s) live after ${((performance.now() - t0) / 1000).toFixed(1)} s; ${rows} rows in transactions of ${txRows}`);

  const start = now();
  for (let i = 0; i < rows; i += txRows) {
    const upto = Math.min(rows, i + txRows) - 1;
    await src.query(
      `insert into ${BURST_TABLE} (sample, committed_ms) select g, extract(epoch from clock_timestamp()) * 1000 from generate_series($1::int, $2::int) g`,
      [first + i, first + upto],
    );
  }
  const committed = now();
  const deadline = Date.now() + Math.max(120_000, rows * n * 0.05);
  while (subs.some((s) => s.doneAt === 0 && s.closed === null) && Date.now() < deadline) await sleep(20);
  const complete = subs.every((s) => s.doneAt > 0);

  // ingest ends with the sink's notification covering the last burst row
  const wh = new pg.Client({ connectionString: setup.whUrl });
  await wh.connect();
  const last = await wh.query<{ seq: string | null }>(`select max(seq)::text as seq from auditql.changes where table_name = $1`, [BURST_TABLE]);
  await wh.end();
  const lastSeq = BigInt(last.rows[0]?.seq ?? '0');
  const ingestEnd = setup.notified.find((x) => x.seq >= lastSeq)?.at ?? committed;
  const deliveredAt = Math.max(...subs.map((s) => s.doneAt || now()));
  const perApiDeliveryMs = apiUrls.map((_, a) => Math.max(...subs.filter((s) => s.api === a).map((s) => s.doneAt || now())) - start);
  for (const s of subs) s.socket.terminate();
  const ingestMs = ingestEnd - start;
  const deliveryMs = deliveredAt - start;
  const received = subs.reduce((a, s) => a + s.got, 0);
  const closedEarly = subs.filter((s) => s.closed !== null && s.doneAt === 0);
  if (closedEarly.length > 0) log(`burst: ${closedEarly.length} subscriber(s) closed before the end (${closedEarly[0]!.closed})`);
  return { n, rows, ingestMs, deliveryMs, msgsPerS: received / (deliveryMs / 1000), ratio: deliveryMs / ingestMs, perApiDeliveryMs, complete };
}
