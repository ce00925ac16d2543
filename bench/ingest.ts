/**
 * `npm run bench:ingest` — the ingest benchmark (BENCHMARKS.md "bench:ingest", bench/README.md). Generates N (default 1,000,000) realistic Debezium
 * PostgreSQL change events (4 tables, ~10 columns, inserts/updates/deletes, schemaless JSON lines with the
 * Kafka-style `source` block), then, in one run:
 * 1. decode-only (bench/decode-only.ts): the file through the real file source, decoder, storability check,
 *    pipeline and the direct write's COPY text encoding, into a sink that discards the text — Node's CPU per
 *    event (`process.cpuUsage()`, GC included) without the warehouse: `node_us_per_event`;
 * 2. ingests the file through the real file source → decoder → sink into the warehouse named by
 *    DATABASE_URL (or a fresh embedded PostgreSQL), with the ledger as shipped (every row a leaf, signed
 *    checkpoints every 10,000 rows with a key generated for the run); a second ingest of the same file
 *    under another source runs with the leaf append switched off, for the ledger's cost (docs/ledger.md);
 * 3. times a raw COPY of the same stored rows into the same table (same partitions and indexes): `ratio`;
 * 4. times a raw COPY of the same rows into one unindexed, unpartitioned table of the same columns
 *    (`ceiling`: what storing the data at all costs on this machine): `ceiling_ratio` = ours / ceiling;
 * 5. `verify` recomputes the whole log and its rate is printed.
 * Last line: `events_per_s=<n> copy_rows_per_s=<n> ratio=<ours/copy> ceiling_rows_per_s=<n> ceiling_ratio=<ours/ceiling>
 * node_us_per_event=<µs> peak_rss_mib=<ingest> decode_peak_rss_mib=<decode-only> ledger_overhead=<1 - off/on time> verify_rows_per_s=<n>`.
 *   BENCH_EVENTS=200000 npm run bench:ingest    (smaller run; BENCH_BATCH sets the batch size, default 5000)
 *   BENCH_MODE=decode-only                      (step 1 only, no warehouse; last line `node_us_per_event=… decode_events_per_s=… decode_peak_rss_mib=…`)
 *   BENCH_FILE=/tmp/dbz.jsonl                   (reuse that file if it exists, else write it there and keep it)
 *   BENCH_MODE=processes                        (bench/ingest-processes.ts: 1, 2, then 4 `auditql ingest` processes side by side on
 *                                                different sources, BENCH_EVENTS each, default 100,000, with a subscriber attached)
 * Profile the hot path: `BENCH_MODE=decode-only BENCH_EVENTS=50000 node --cpu-prof dist/bench/ingest.js`.
 */
import { createReadStream, createWriteStream, existsSync, mkdtempSync, chmodSync, rmSync, statSync } from 'node:fs';
import { logFramerOf } from '../src/decoders/decoder.js';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pipeline as streamPipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { startEmbedded } from '../src/warehouse/embedded.js';
import { ensureDatabase } from '../src/warehouse/connect.js';
import { openWarehouse } from '../src/warehouse/db.js';
import { migrate } from '../src/warehouse/migrate.js';
import { WarehouseSink } from '../src/warehouse/sink.js';
import { sealerFor } from '../src/warehouse/ledger/sealer.js';
import { generateSigner } from '../src/warehouse/ledger/signed-note.js';
import { verifyLedger } from '../src/warehouse/ledger/verify.js';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { fileSource } from '../src/sources/file/file-source.js';
import { loadDecoder } from '../src/decoders/registry.js';
import { decodeContext } from '../src/decoders/context.js';
import { writeDebeziumWorkload } from './debezium-workload.js';
import { decodeOnly } from './decode-only.js';
import { ingestProcesses } from './ingest-processes.js';
import { intEnv } from './support.js';
import { storedKeySql } from '../src/warehouse/stored-key.js';
import { changeExtraSql } from '../src/warehouse/source-blocks.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 5000);
const MODE = process.env.BENCH_MODE ?? 'full';
const MiB = (n: number) => (n / 2 ** 20).toFixed(0);

const COLUMNS = `seq, source, position, part_at, format, operation, database_name, schema_name, table_name, key, key_text, key_source, before, after,
  before_complete, unknown_before, unknown_after, changed_fields, tx_id, tx_order, committed_at, committed_at_source, server, connection, source_user, extra, extra_block`;

/** The workload file: BENCH_FILE when it exists, else written (to BENCH_FILE, or into `dir`). */
async function workload(dir: string): Promise<string> {
  const kept = process.env.BENCH_FILE;
  if (kept && existsSync(kept)) {
    console.log(`reusing ${kept} (${MiB(statSync(kept).size)} MiB)`);
    return kept;
  }
  const file = kept ?? join(dir, 'debezium.jsonl');
  const t0 = performance.now();
  const bytes = await writeDebeziumWorkload(file, N);
  console.log(`generated ${N} Debezium events (${MiB(bytes)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

/** Step 1: Node's CPU per event without the warehouse. */
async function decodeOnlyStep(file: string) {
  const d = await decodeOnly(file, BATCH);
  console.log(`decode-only: ${d.events} events in ${d.wallS.toFixed(1)} s wall, ${(d.cpuUs / 1e6).toFixed(1)} s CPU → ${d.usPerEvent.toFixed(1)} µs/event, ` +
    `${Math.round(d.events / d.wallS)} events/s on one thread; ${MiB(d.copyBytes)} MiB of COPY text; peak RSS ${MiB(d.peakRss)} MiB`);
  return d;
}

async function main() {
  if (MODE === 'processes') return ingestProcesses(intEnv('BENCH_EVENTS', 100_000), BATCH);
  const dir = mkdtempSync(join(tmpdir(), 'auditql-bench-'));
  chmodSync(dir, 0o755);
  if (MODE === 'decode-only') {
    try {
      const file = await workload(dir);
      const d = await decodeOnlyStep(file);
      console.log(`node_us_per_event=${d.usPerEvent.toFixed(1)} decode_events_per_s=${Math.round(d.events / d.wallS)} decode_peak_rss_mib=${MiB(d.peakRss)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  if (MODE !== 'full') throw new Error(`BENCH_MODE=${MODE}: expected full, decode-only or processes`);
  let stopEmbedded = async () => {};
  let url = process.env.DATABASE_URL;
  if (!url) {
    const server = await startEmbedded({ dataDir: join(dir, 'pg'), ephemeral: true });
    stopEmbedded = server.stop;
    await ensureDatabase(server.url('postgres'), 'bench');
    url = server.url('bench');
  }
  const w = openWarehouse(url, { max: 4 });
  try {
    await migrate(w.pool);
    const file = await workload(dir);
    const decoded = await decodeOnlyStep(file);

    const decoder = await loadDecoder('debezium');
    const ctx = decodeContext();
    const signer = generateSigner('bench.auditql.example');
    const sealer = sealerFor(w.pool, { signer, origin: null, everyRows: 10_000, everyMs: 30_000, exportDir: null });
    await new WarehouseSink(w.pool).partitions.createAhead(new Date(1_795_000_000_000));

    /** One ingest of the file under a new source; with `ledger: false` the sink appends no leaves. */
    const ingest = async (label: string, ledger: boolean) => {
      const source = `bench-${label}-${Date.now()}`;
      const sink = new WarehouseSink(w.pool, undefined, ledger ? sealer : null);
      let appendMs = 0;
      const append = sink.ledger.append.bind(sink.ledger);
      sink.ledger.append = ledger
        ? async (client, byKind) => { const t = performance.now(); await append(client, byKind); appendMs += performance.now() - t; }
        : async () => {};
      // sampled during ingest only (process maxRSS would include generating the file)
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
      const t1 = performance.now();
      const summary = await new IngestPipeline({
        sourceName: source, source: fileSource({ paths: [file], logFramer: logFramerOf(decoder, ctx), progress: (l) => console.log(`  ${l}`) }),
        decoderFor: () => decoder, ctx, sink, batchSize: BATCH,
      }).run();
      if (ledger) await sink.ledger.seal();
      const seconds = (performance.now() - t1) / 1000;
      clearInterval(sampler);
      if (summary.stored !== N) throw new Error(`expected ${N} stored, got ${JSON.stringify(summary)}`);
      const perS = summary.stored / seconds;
      console.log(`auditql ingest (${label}): ${summary.stored} stored of ${summary.read} read in ${seconds.toFixed(1)} s → ${Math.round(perS)} events/s; ` +
        `peak RSS ${MiB(peakRss)} MiB${ledger ? `; leaf append ${(appendMs / 1000).toFixed(1)} s (${((appendMs / 1000 / seconds) * 100).toFixed(1)}% of the run)` : ''}`);
      return { source, seconds, perS, peakRss };
    };
    // The second run writes into tables already holding the first run's rows, which costs it more:
    // BENCH_LEDGER_ORDER=off-on runs the ledger-off ingest first, so two runs in both orders bound the bias.
    const offFirst = process.env.BENCH_LEDGER_ORDER === 'off-on';
    const first = offFirst ? await ingest('ledger off', false) : await ingest('ledger on', true);
    // The follower logs every committed row, not only its own batch's: after an off run, log its rows
    // (untimed) so the on run's follower does not hash them on the on run's clock.
    if (offFirst) await new WarehouseSink(w.pool, undefined, sealer).ledger.seal();
    const second = offFirst ? await ingest('ledger on', true) : await ingest('ledger off', false);
    const [on, off] = offFirst ? [second, first] : [first, second];
    const eventsPerS = on.perS;
    const peakRss = on.peakRss;
    const source = on.source;
    const ledgerOverhead = 1 - off.seconds / on.seconds;
    console.log(`ledger cost: ${(ledgerOverhead * 100).toFixed(1)}% of the ingest time (on ${on.seconds.toFixed(1)} s, off ${off.seconds.toFixed(1)} s; ` +
      `the ${offFirst ? 'on' : 'off'} run ran second, into tables twice as full)`);

    // Baseline: the same stored rows, exported, then COPYed raw into the same table (same indexes, same
    // partitions) under another source name — what PostgreSQL alone can absorb on this machine.
    const dump = join(dir, 'changes.copy');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await streamPipeline(
      c.query(copyTo(`COPY (SELECT seq + 100000000000, 'copy-' || source, ${COLUMNS.split(',').slice(2).join(',')} FROM auditql.changes WHERE source = '${source}') TO STDOUT`)),
      createWriteStream(dump),
    );
    const t2 = performance.now();
    await streamPipeline(createReadStream(dump, { highWaterMark: 1 << 20 }), c.query(copyFrom(`COPY auditql.changes (${COLUMNS}) FROM STDIN`)));
    const copyS = (performance.now() - t2) / 1000;
    const copyPerS = N / copyS;
    console.log(`raw COPY of the same ${N} rows into auditql.changes: ${copyS.toFixed(1)} s → ${Math.round(copyPerS)} rows/s`);
    // Ceiling: the same rows into one plain table of the same columns — no index, no partition, no trigger.
    await c.query(`DROP TABLE IF EXISTS public.bench_ceiling`);
    await c.query(`CREATE TABLE public.bench_ceiling (LIKE auditql.changes INCLUDING DEFAULTS)`);
    const t3 = performance.now();
    await streamPipeline(createReadStream(dump, { highWaterMark: 1 << 20 }), c.query(copyFrom(`COPY public.bench_ceiling (${COLUMNS}) FROM STDIN`)));
    const ceilingS = (performance.now() - t3) / 1000;
    await c.query(`DROP TABLE public.bench_ceiling`);
    await c.end();
    const ceilingPerS = N / ceilingS;
    console.log(`ceiling: raw COPY of the same ${N} rows into one unindexed, unpartitioned table: ${ceilingS.toFixed(1)} s → ${Math.round(ceilingPerS)} rows/s`);
    // verify: recompute the log from the rows (the COPY baseline's rows, and the off run's when it ran second, are not leaves: verify reports them as added out of band)
    const tv = performance.now();
    const report = await verifyLedger(w.pool, { trusted: [signer], maxReported: 1 });
    const verifyS = (performance.now() - tv) / 1000;
    const verifyPerS = report.rowsChecked / verifyS;
    console.log(`verify: ${report.rowsChecked} rows, ${report.checkpointsVerified} checkpoints in ${verifyS.toFixed(1)} s → ${Math.round(verifyPerS)} rows/s (divergences ${report.divergenceCount}, expected: the ${offFirst ? N : 2 * N} rows ${offFirst ? 'of the COPY baseline' : 'of the off run and the COPY baseline'}, which are not leaves)`);
    // What a stored row takes (pg_column_size of the heap tuple's data), and an estimate of what it took
    // with the key and the extra's shared block in every row (before migrations 050 and 051).
    const size = (await w.pool.query<{ now: string; whole: string }>(
      `SELECT avg(pg_column_size(c.*))::int AS now,
              avg(pg_column_size(c.*) - coalesce(pg_column_size(c.key), 0) + pg_column_size(${storedKeySql('c')})
                  - pg_column_size(c.extra) + pg_column_size(${changeExtraSql('c')}) - CASE WHEN c.extra_block IS NULL THEN 0 ELSE 16 END)::int AS whole
       FROM auditql.changes c WHERE c.source = $1`, [source])).rows[0]!;
    console.log(`stored row: ${size.now} bytes on average (about ${size.whole} with the key and the shared block in every row)`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
    console.log(`events_per_s=${Math.round(eventsPerS)} copy_rows_per_s=${Math.round(copyPerS)} ratio=${(eventsPerS / copyPerS).toFixed(2)} ` +
      `ceiling_rows_per_s=${Math.round(ceilingPerS)} ceiling_ratio=${(eventsPerS / ceilingPerS).toFixed(2)} node_us_per_event=${decoded.usPerEvent.toFixed(1)} ` +
      `peak_rss_mib=${MiB(peakRss)} decode_peak_rss_mib=${MiB(decoded.peakRss)} ledger_overhead=${ledgerOverhead.toFixed(3)} ledger_order=${offFirst ? 'off-on' : 'on-off'} verify_rows_per_s=${Math.round(verifyPerS)} ` +
      `row_bytes=${size.now} row_bytes_whole=${size.whole}`);
  } finally {
    await w.close();
    await stopEmbedded();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
