/**
 * `npm run bench:live` (BENCHMARKS.md "bench:live"): source commit → subscriber receipt through the built-in capture.
 * Target: p99 ≤ 100 ms with 1,000 concurrent subscribers.
 *
 * 1. A fresh embedded PostgreSQL 17 (temp dir, thrown away) holds a source database (`wal_level=logical`)
 *    and the warehouse.
 * 2. Capture in a worker thread — `startPostgresCapture`: PostgresSource (pgoutput slot) → pgoutput decoder
 *    → WarehouseSink, flush interval BENCH_FLUSH_MS (default 5 ms) — the way `auditql ingest --from
 *    postgres` runs it, as "another process" from the API's point of view.
 * 3. The real API server (`startApiServer`, graphql-ws subscriptions, the change feed) in another worker.
 * 4. This thread: the workload and the subscribers — N graphql-ws clients (`createClient` over `ws`, one
 *    connection each) subscribed to `changeAdded(filter: {table: "bench_events"}) { id after }`. The
 *    workload commits one single-row transaction every 1000/BENCH_RATE ms whose row carries
 *    `extract(epoch from clock_timestamp())` taken in that transaction just before COMMIT; latency =
 *    receipt (this thread's clock, `performance.timeOrigin + performance.now()`) − that commit clock.
 *    Same machine, same clock.
 * 5. Baselines in the same run and the same way: (a) the raw NOTIFY round trip — a transaction that
 *    NOTIFYs `clock_timestamp()`, received by a LISTEN here; (b) the capture alone — commit → the sink's
 *    `auditql_feed` NOTIFY for the batch holding the row, received here. Receipt − (b), per receipt, is the
 *    API's share (wake-up, reads, execution, fan-out, WebSocket, and this thread's own client work).
 * For N in BENCH_SUBSCRIBERS (default 1,100,1000): connect, wait until every subscriber received a warm-up
 * row (readiness, not sleep), then BENCH_SAMPLES (default 200) samples at BENCH_RATE (default 100/s).
 * BENCH_MODE: `trickle` (the above), `burst` (live-burst.ts: BENCH_BURST rows, default 60,000, at each of
 * BENCH_BURST_SUBSCRIBERS, default 100,1000), or `both` (the default).
 * BENCH_API_PROCESSES (default 1): API workers, each its own server and change feed over the same
 * warehouse (sharing the feed through PostgreSQL, as replicas do); subscribers go round-robin over them and
 * latency is printed per worker.
 * BENCH_LEDGER=off runs the capture without the ledger's leaf append, to measure its cost on the live path.
 * The last line is machine-readable.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startApiServer } from '../src/graphql/server.js';
import { startPostgresCapture } from '../src/cli/commands/ingest-postgres.js';
import { SinkLedger } from '../src/warehouse/ledger/sink-ledger.js';
import { decodeContext } from '../src/decoders/context.js';
import type { ChangeFeed } from '../src/feed/change-feed.js';
import type { FeedStats } from '../src/feed/feed-stats.js';
import { silentLogger, stderrLogger } from '../src/log.js';
import { openWarehouse } from '../src/warehouse/db.js';
import { migrate } from '../src/warehouse/migrate.js';
import { FEED_CHANNEL } from '../src/warehouse/sink.js';
import { intEnv, scratchPostgres, workerChannel, type WorkerChannel } from './support.js';
import { BURST_TABLE, runBurst, type BurstResult } from './live-burst.js';

const TABLE = 'bench_events';
const SUBSCRIPTION = `subscription BenchLive { changeAdded(filter: {table: "${TABLE}"}) { id after } }`;
const now = () => performance.timeOrigin + performance.now();

type Role = { readonly role: 'api'; readonly warehouseUrl: string } | { readonly role: 'capture'; readonly warehouseUrl: string; readonly sourceUrl: string; readonly flushMs: number };
type ToWorker = { readonly type: 'stats' } | { readonly type: 'stop' };
type FromWorker =
  | { readonly type: 'ready'; readonly url?: string }
  | { readonly type: 'stats'; readonly stats: FeedStats; readonly subscriptions: number }
  | { readonly type: 'stopped' };

// ───────────────────────────── workers ─────────────────────────────

async function apiWorker(warehouseUrl: string): Promise<void> {
  const port = parentPort!;
  const warehouse = openWarehouse(warehouseUrl, { max: 10, applicationName: 'auditql-bench-api' });
  let feed: ChangeFeed | undefined;
  const server = await startApiServer({
    warehouse, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', log: stderrLogger('warn'),
    subscriptions: { onFeed: (f) => (feed = f) },
  });
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'stats') port.postMessage({ type: 'stats', stats: { ...feed!.stats }, subscriptions: feed!.size.subscriptions } satisfies FromWorker);
    else {
      await server.close();
      await warehouse.close();
      port.postMessage({ type: 'stopped' } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'ready', url: server.url } satisfies FromWorker);
}

async function captureWorker(warehouseUrl: string, sourceUrl: string, flushMs: number): Promise<void> {
  const port = parentPort!;
  // BENCH_LEDGER=off: the sink appends no ledger leaves — only to measure the ledger's cost on the live path
  // (docs/ledger.md); AUDITQL_SIGNING_KEY as usual decides whether checkpoints are sealed.
  if (process.env.BENCH_LEDGER === 'off') SinkLedger.prototype.append = async () => {};
  const pool = new pg.Pool({ connectionString: warehouseUrl, max: 4, application_name: 'auditql-bench-ingest' });
  const capture = await startPostgresCapture({
    pool, sourceName: 'bench', sourceUrl, publication: 'bench_pub', slot: 'bench_slot', createSlot: true,
    ctx: decodeContext(), flushMs, log: silentLogger,
  });
  port.on('message', async (m: ToWorker) => {
    if (m.type !== 'stop') return;
    await capture.stop().catch(() => {});
    await pool.end();
    port.postMessage({ type: 'stopped' } satisfies FromWorker);
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}

function startWorker(data: Role): WorkerChannel<ToWorker, FromWorker> {
  return workerChannel(new Worker(new URL(import.meta.url), { workerData: data }), `bench:live ${data.role}`);
}

// ───────────────────────────── measuring ─────────────────────────────

function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

interface Sample {
  /** Commit clock of the source transaction, ms since the epoch. */
  readonly committedMs: number;
  readonly seq?: string;
}

/** Commit `count` single-row transactions at `rate` per second, numbered from `first`. */
async function drive(src: pg.Client, first: number, count: number, rate: number): Promise<void> {
  const interval = 1000 / rate;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await src.query(`insert into ${TABLE} (sample, committed_ms) values ($1, extract(epoch from clock_timestamp()) * 1000)`, [first + i]);
  }
}

/** The raw NOTIFY round trip: commit of a NOTIFY carrying the commit clock → receipt by a LISTEN here. */
async function notifyBaseline(url: string, count: number, rate: number): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), sender.connect()]);
  const lat: number[] = [];
  listener.on('notification', (n) => {
    const at = now();
    if (n.channel === 'bench_ping') lat.push(at - Number(n.payload));
  });
  await listener.query('LISTEN bench_ping');
  const interval = 1000 / rate;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await sender.query(`select pg_notify('bench_ping', (extract(epoch from clock_timestamp()) * 1000)::text)`);
  }
  const deadline = Date.now() + 5000;
  while (lat.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await Promise.all([listener.end(), sender.end()]);
  return lat;
}

interface Subscriber {
  readonly client: Client;
  /** Which API worker it is connected to. */
  readonly api: number;
  /** sample → receipt time (ms since the epoch). */
  readonly got: Map<number, number>;
  warm: boolean;
}

function subscribeAll(apiUrls: readonly string[], n: number, samples: Map<number, Sample>): Subscriber[] {
  return Array.from({ length: n }, (_, i) => {
    const url = apiUrls[i % apiUrls.length]!.replace(/^http/, 'ws');
    const s: Subscriber = { client: createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 }), api: i % apiUrls.length, got: new Map(), warm: false };
    s.client.subscribe<{ changeAdded: { id: string; after: { sample: number; committed_ms: number } } }>(
      { query: SUBSCRIPTION },
      {
        next: (r) => {
          const at = now();
          const row = r.data?.changeAdded.after;
          if (!row) return;
          if (row.sample < 0) s.warm = true;
          else {
            s.got.set(row.sample, at);
            if (!samples.has(row.sample)) samples.set(row.sample, { committedMs: row.committed_ms, seq: r.data!.changeAdded.id });
          }
        },
        error: (e) => {
          const c = e as { code?: number; reason?: string; message?: string };
          process.stderr.write(`bench:live subscriber error: ${c.code ?? ''} ${c.reason ?? c.message ?? JSON.stringify(e)}\n`);
        },
        complete: () => {},
      },
    );
    return s;
  });
}

interface PhaseResult {
  readonly n: number;
  readonly receipts: number;
  readonly expected: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Per sample: until the last subscriber had it. */
  readonly lastP50: number;
  readonly lastP99: number;
  readonly captureP50: number;
  readonly captureP99: number;
  /** Receipt − the sink's notification for the row: what the API (and the client) add. */
  readonly apiP50: number;
  readonly apiP99: number;
  readonly stats: FeedStats;
  readonly load: number;
  /** Receipt latency per API worker. */
  readonly perApi: readonly { readonly p50: number; readonly p99: number }[];
}

type Api = WorkerChannel<ToWorker, FromWorker>;

/** The feed counters summed over the API workers, and their live subscriptions. */
async function feedStats(apis: readonly Api[]): Promise<{ stats: FeedStats; subscriptions: number }> {
  const all = (await Promise.all(apis.map((a) => a.ask({ type: 'stats' })))) as Extract<FromWorker, { type: 'stats' }>[];
  const stats = { ...all[0]!.stats };
  for (const x of all.slice(1)) for (const k of Object.keys(stats) as (keyof FeedStats)[]) stats[k] += x.stats[k];
  return { stats, subscriptions: all.reduce((a, x) => a + x.subscriptions, 0) };
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<void> {
  const samples = intEnv('BENCH_SAMPLES', 200);
  const rate = intEnv('BENCH_RATE', 100);
  const mode = process.env['BENCH_MODE'] ?? 'both';
  if (!['trickle', 'burst', 'both'].includes(mode)) throw new Error(`BENCH_MODE=${mode}: expected trickle, burst or both`);
  const apiCount = intEnv('BENCH_API_PROCESSES', 1);
  const burstRows = intEnv('BENCH_BURST', 60_000);
  const burstTx = intEnv('BENCH_BURST_TX', 1000);
  const flushMs = intEnv('BENCH_FLUSH_MS', 5);
  const counts = (name: string, dflt: string) =>
    (process.env[name] ?? dflt).split(',').map((x) => {
      const n = Number(x.trim());
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${process.env[name]}: expected positive integers`);
      return n;
    });
  const sizes = mode === 'burst' ? [] : counts('BENCH_SUBSCRIBERS', '1,100,1000');
  const burstSizes = mode === 'trickle' ? [] : counts('BENCH_BURST_SUBSCRIBERS', '100,1000');
  const log = (m: string) => process.stderr.write(`bench:live ${m}\n`);

  const scratch = await scratchPostgres('auditql-bench-live-', ['bench_src', 'bench_wh']);
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const srcUrl = scratch.url('bench_src');
    const whUrl = scratch.url('bench_wh');
    const wh = openWarehouse(whUrl, { max: 2, applicationName: 'auditql-bench' });
    closers.push(() => wh.close());
    await migrate(wh.pool);
    const src = new pg.Client({ connectionString: srcUrl, application_name: 'auditql-bench-workload' });
    await src.connect();
    closers.push(() => src.end());
    await src.query(`create table ${TABLE} (id bigserial primary key, sample int not null, committed_ms float8 not null)`);
    await src.query(`create table ${BURST_TABLE} (id bigserial primary key, sample int not null, committed_ms float8 not null)`);
    await src.query(`create publication bench_pub for table ${TABLE}, ${BURST_TABLE}`);
    const pgVersion = (await src.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]!.v;
    log(`PostgreSQL ${pgVersion} (embedded, port ${scratch.embedded.port}); ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

    const capture = startWorker({ role: 'capture', warehouseUrl: whUrl, sourceUrl: srcUrl, flushMs });
    closers.push(async () => {
      await capture.ask({ type: 'stop' });
      await capture.worker.terminate();
    });
    if ((await capture.next()).type !== 'ready') throw new Error('capture worker did not start');
    const apis: Api[] = [];
    const apiUrls: string[] = [];
    for (let i = 0; i < apiCount; i++) {
      const api = startWorker({ role: 'api', warehouseUrl: whUrl });
      closers.push(async () => {
        await api.ask({ type: 'stop' });
        await api.worker.terminate();
      });
      const ready = await api.next();
      if (ready.type !== 'ready' || !ready.url) throw new Error('api worker did not start');
      apis.push(api);
      apiUrls.push(ready.url);
    }
    log(`capture: slot bench_slot, flush ${flushMs} ms (worker thread); API: ${apiUrls.join(', ')} (worker thread each)`);

    // The sink's notifications, here: when the batch holding a row committed in the warehouse.
    const feedListener = new pg.Client({ connectionString: whUrl });
    await feedListener.connect();
    closers.push(() => feedListener.end());
    const notified: { seq: bigint; at: number }[] = [];
    feedListener.on('notification', (n) => notified.push({ seq: BigInt(n.payload ?? '0'), at: now() }));
    await feedListener.query(`LISTEN ${FEED_CHANNEL}`);

    log(`baseline: raw NOTIFY round trip, ${samples} at ${rate}/s`);
    const notifyLat = await notifyBaseline(srcUrl, samples, rate);
    log(`  p50 ${ms(pct(notifyLat, 50))} ms, p99 ${ms(pct(notifyLat, 99))} ms`);

    const results: PhaseResult[] = [];
    let nextSample = 0;
    let warmups = 0;
    for (const n of sizes) {
      const seen = new Map<number, Sample>();
      const t0 = performance.now();
      const subs = subscribeAll(apiUrls, n, seen);
      // Ready when every subscriber got a warm-up row written after it subscribed.
      while (!subs.every((s) => s.warm)) {
        await src.query(`insert into ${TABLE} (sample, committed_ms) values ($1, extract(epoch from clock_timestamp()) * 1000)`, [-1 - warmups++]);
        await new Promise((r) => setTimeout(r, 100));
        if (performance.now() - t0 > 120_000) throw new Error(`${n} subscribers not ready after 120 s`);
      }
      log(`${n} subscriber(s) live after ${((performance.now() - t0) / 1000).toFixed(1)} s; ${samples} samples at ${rate}/s`);
      const statsBefore = (await feedStats(apis)).stats;
      const load = loadavg()[0]!;
      const notifiedFrom = notified.length;
      const first = nextSample;
      nextSample += samples;
      await drive(src, first, samples, rate);
      const deadline = Date.now() + 30_000;
      while (subs.some((s) => s.got.size < samples) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const statsAfter = (await feedStats(apis)).stats;

      const lat: number[] = [];
      const last: number[] = [];
      const byApi: number[][] = apis.map(() => []);
      for (let i = first; i < first + samples; i++) {
        const c = seen.get(i)?.committedMs;
        if (c === undefined) continue;
        let latest = -Infinity;
        for (const s of subs) {
          const at = s.got.get(i);
          if (at === undefined) continue;
          lat.push(at - c);
          byApi[s.api]!.push(at - c);
          if (at > latest) latest = at;
        }
        if (latest > -Infinity) last.push(latest - c);
      }
      // capture alone: the first sink notification at or above the row's seq; the API's share: receipt − that
      const cap: number[] = [];
      const apiShare: number[] = [];
      const nots = notified.slice(notifiedFrom);
      for (let i = first; i < first + samples; i++) {
        const s = seen.get(i);
        if (!s?.seq) continue;
        const seq = BigInt(s.seq);
        const hit = nots.find((x) => x.seq >= seq);
        if (!hit) continue;
        cap.push(hit.at - s.committedMs);
        for (const sub of subs) {
          const at = sub.got.get(i);
          if (at !== undefined) apiShare.push(at - hit.at);
        }
      }
      const stats = Object.fromEntries(Object.entries(statsAfter).map(([k, v]) => [k, v - statsBefore[k as keyof FeedStats]])) as unknown as FeedStats;
      const r: PhaseResult = {
        n, receipts: lat.length, expected: n * samples,
        p50: pct(lat, 50), p99: pct(lat, 99), max: pct(lat, 100), lastP50: pct(last, 50), lastP99: pct(last, 99),
        captureP50: pct(cap, 50), captureP99: pct(cap, 99), apiP50: pct(apiShare, 50), apiP99: pct(apiShare, 99), stats, load,
        perApi: byApi.map((xs) => ({ p50: pct(xs, 50), p99: pct(xs, 99) })),
      };
      results.push(r);
      log(
        `  N=${n}: receipt p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms; last subscriber p50 ${ms(r.lastP50)} / p99 ${ms(r.lastP99)} ms; ` +
          `capture alone p50 ${ms(r.captureP50)} / p99 ${ms(r.captureP99)} ms; API share p50 ${ms(r.apiP50)} / p99 ${ms(r.apiP99)} ms; ` +
          `${r.receipts}/${r.expected} receipts; ` +
          `feed: ${stats.headReads} head reads, ${stats.groupReads} group reads, ${stats.replayReads} replay reads, ${stats.notifications} notifications, ${stats.dropped} dropped; load ${load.toFixed(2)}` +
          (apis.length > 1 ? `; per API worker p50/p99: ${r.perApi.map((x, i) => `#${i} ${ms(x.p50)}/${ms(x.p99)}`).join(', ')}` : ''),
      );
      await Promise.all(subs.map((s) => s.client.dispose()));
      const t1 = Date.now();
      while ((await feedStats(apis)).subscriptions > 0 && Date.now() - t1 < 10_000) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const bursts: BurstResult[] = [];
    for (const n of burstSizes) {
      const r = await runBurst({ src, whUrl, apiUrls, notified, log }, n, burstRows, burstTx, nextSample);
      nextSample += burstRows;
      bursts.push(r);
      log(
        `  burst N=${n}: ingest ${ms(r.ingestMs)} ms, delivery ${ms(r.deliveryMs)} ms, burst_ratio ${r.ratio.toFixed(2)}, ${Math.round(r.msgsPerS)} messages/s fanned out` +
          (apis.length > 1 ? `; per API worker delivery ${r.perApiDeliveryMs.map((x, i) => `#${i} ${ms(x)} ms`).join(', ')}` : '') +
          (r.complete ? '' : ' (INCOMPLETE: not every subscriber got every row)'),
      );
      const t1 = Date.now();
      while ((await feedStats(apis)).subscriptions > 0 && Date.now() - t1 < 10_000) await new Promise((res) => setTimeout(res, 50));
    }

    const n50 = pct(notifyLat, 50);
    const n99 = pct(notifyLat, 99);
    process.stdout.write('\n');
    process.stdout.write(`bench:live — source commit → subscriber receipt (ms), ${samples} samples per row at ${rate}/s, capture flush ${flushMs} ms\n`);
    process.stdout.write(`baseline raw NOTIFY round trip: p50 ${ms(n50)}, p99 ${ms(n99)}\n`);
    process.stdout.write('subscribers | p50    | p99    | max    | last-sub p99 | capture p50/p99 | API share p50/p99 | p50 ÷ NOTIFY p50 | receipts\n');
    for (const r of results) {
      process.stdout.write(
        `${String(r.n).padStart(11)} | ${ms(r.p50).padStart(6)} | ${ms(r.p99).padStart(6)} | ${ms(r.max).padStart(6)} | ${ms(r.lastP99).padStart(12)} | ` +
          `${`${ms(r.captureP50)}/${ms(r.captureP99)}`.padStart(15)} | ${`${ms(r.apiP50)}/${ms(r.apiP99)}`.padStart(17)} | ${(r.p50 / n50).toFixed(1).padStart(16)} | ${r.receipts}/${r.expected}\n`,
      );
    }
    const at1000 = results.find((r) => r.n === 1000) ?? results.at(-1);
    if (at1000) process.stdout.write(`target p99 ≤ 50 ms at ${at1000.n} subscribers: ${at1000.p99 <= 50 ? 'met' : 'MISSED'} (p99 ${ms(at1000.p99)} ms)\n`);
    if (bursts.length > 0) {
      process.stdout.write(`burst of ${burstRows} rows (transactions of ${burstTx}), ${apis.length} API worker(s)\n`);
      process.stdout.write('subscribers | ingest ms | delivery ms | burst_ratio | messages/s | complete\n');
      for (const r of bursts) {
        process.stdout.write(
          `${String(r.n).padStart(11)} | ${ms(r.ingestMs).padStart(9)} | ${ms(r.deliveryMs).padStart(11)} | ${r.ratio.toFixed(2).padStart(11)} | ${String(Math.round(r.msgsPerS)).padStart(10)} | ${r.complete}\n`,
        );
      }
    }
    const fanout = Math.max(0, ...bursts.map((r) => r.msgsPerS));
    process.stdout.write(
      [
        ...results.map((r) => `n${r.n}_p50_ms=${ms(r.p50)} n${r.n}_p99_ms=${ms(r.p99)} n${r.n}_capture_p99_ms=${ms(r.captureP99)} n${r.n}_api_p99_ms=${ms(r.apiP99)}`),
        ...(results.length > 0 ? [`notify_p50_ms=${ms(n50)} notify_p99_ms=${ms(n99)}`] : []),
        ...bursts.map((r) => `burst_ratio_${r.n}=${r.ratio.toFixed(2)}`),
        ...(bursts.length > 0 ? [`fanout_msgs_per_s=${Math.round(fanout)}`] : []),
        `api_processes=${apis.length}`,
        `ledger=${process.env.BENCH_LEDGER === 'off' ? 'off' : 'on'}`,
      ].join(' ') + '\n',
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await scratch.stop();
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:live failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  const d = workerData as Role;
  (d.role === 'api' ? apiWorker(d.warehouseUrl) : captureWorker(d.warehouseUrl, d.sourceUrl, d.flushMs)).catch((err: unknown) => {
    process.stderr.write(`bench:live ${d.role} worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
