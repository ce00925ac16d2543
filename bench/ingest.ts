/**
 * `npm run bench:ingest` — the ingest benchmark (BENCHMARKS.md "bench:ingest"). Generates N (default 1,000,000) realistic Debezium
 * PostgreSQL change events (4 tables, ~10 columns, inserts/updates/deletes, schemaless JSON lines with the
 * Kafka-style `source` block), ingests them through the real file source → decoder → sink into the warehouse
 * named by DATABASE_URL (or a fresh embedded PostgreSQL), then, in the same run, times a raw COPY of the same
 * stored rows into the same table. The first ingest runs with the ledger as shipped (every row a leaf,
 * signed checkpoints every AUDITQL_CHECKPOINT_ROWS rows with a key generated for the run); a second ingest of
 * the same file under another source runs with the leaf append switched off, for the ledger's cost in the
 * same run (docs/ledger.md); then `verify` recomputes the whole log and its rate is printed.
 * Last line: `events_per_s=<n> copy_rows_per_s=<n> ratio=<ours/copy> … ledger_overhead=<1 - off/on time> verify_rows_per_s=<n>`.
 *   BENCH_EVENTS=200000 npm run bench:ingest    (smaller run)
 */
import { createReadStream, createWriteStream, mkdtempSync, chmodSync, rmSync } from 'node:fs';
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

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 5000);

const COLUMNS = `seq, source, position, part_at, format, operation, database_name, schema_name, table_name, key, key_text, key_source, before, after,
  before_complete, unknown_before, unknown_after, changed_fields, tx_id, tx_order, committed_at, committed_at_source, server, connection, source_user, extra`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'auditql-bench-'));
  chmodSync(dir, 0o755);
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
    const file = join(dir, 'debezium.jsonl');
    const t0 = performance.now();
    const bytes = await writeDebeziumWorkload(file, N);
    console.log(`generated ${N} Debezium events (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

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
        `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB${ledger ? `; leaf append ${(appendMs / 1000).toFixed(1)} s (${((appendMs / 1000 / seconds) * 100).toFixed(1)}% of the run)` : ''}`);
      return { source, seconds, perS, peakRss };
    };
    const on = await ingest('ledger on', true);
    const off = await ingest('ledger off', false);
    const eventsPerS = on.perS;
    const peakRss = on.peakRss;
    const source = on.source;
    const ledgerOverhead = 1 - off.seconds / on.seconds;
    console.log(`ledger cost: ${(ledgerOverhead * 100).toFixed(1)}% of the ingest time (on ${on.seconds.toFixed(1)} s, off ${off.seconds.toFixed(1)} s; the off run writes into a table twice as full)`);

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
    await c.end();
    const copyPerS = N / copyS;
    console.log(`raw COPY of the same ${N} rows into auditql.changes: ${copyS.toFixed(1)} s → ${Math.round(copyPerS)} rows/s`);
    // verify: recompute the log from the rows (the off run's and the COPY baseline's rows are not leaves: verify reports them as added out of band)
    const tv = performance.now();
    const report = await verifyLedger(w.pool, { trusted: [signer], maxReported: 1 });
    const verifyS = (performance.now() - tv) / 1000;
    const verifyPerS = report.rowsChecked / verifyS;
    console.log(`verify: ${report.rowsChecked} rows, ${report.checkpointsVerified} checkpoints in ${verifyS.toFixed(1)} s → ${Math.round(verifyPerS)} rows/s (divergences ${report.divergenceCount}, expected: the ${2 * N} rows of the off run and the COPY baseline, which are not leaves)`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
    console.log(`events_per_s=${Math.round(eventsPerS)} copy_rows_per_s=${Math.round(copyPerS)} ratio=${(eventsPerS / copyPerS).toFixed(2)} peak_rss_mib=${(peakRss / 2 ** 20).toFixed(0)} ` +
      `ledger_overhead=${ledgerOverhead.toFixed(3)} verify_rows_per_s=${Math.round(verifyPerS)}`);
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
