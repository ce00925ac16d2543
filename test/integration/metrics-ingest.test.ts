/**
 * Ingest metrics scraped from a real /metrics endpoint while a real pipeline writes to a real warehouse:
 * the counters move by exactly what the run's summary and the warehouse's tables say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/contracts/records.js';
import type { Source } from '../../src/contracts/source.js';
import { decodeContext } from '../../src/decoders/context.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { startIngest } from '../../src/ingest/run.js';
import { silentLogger } from '../../src/log.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server.js';
import { createTelemetry, type Telemetry } from '../../src/metrics/telemetry.js';
import { warehouseReadiness } from '../../src/health/readiness.js';
import { maxwellRow } from '../helpers/array-source.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { parseExposition, sampleSum, sampleValue, scrape } from '../helpers/prom-text.js';
import { probeUntil } from '../helpers/until.js';

let w: TestWarehouse;
let telemetry: Telemetry;
let server: MetricsServer;
beforeAll(async () => {
  w = await freshWarehouse();
  telemetry = createTelemetry();
  telemetry.watchWarehouse(w);
  server = await startMetricsServer({
    telemetry, readiness: [warehouseReadiness(w.pool), telemetry.ingest.readiness()], port: 0, host: '127.0.0.1', log: silentLogger,
  });
});
afterAll(async () => {
  await server?.close();
  await w?.destroy();
});

/** Values as a source yields them (null: a tombstone); pauses before `holdAt` until `release()`. */
function gatedSource(values: readonly (string | null)[], holdAt: number): Source & { release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  return {
    description: 'gated',
    release,
    async *records(): AsyncGenerator<SourceRecord> {
      for (let i = 0; i < values.length; i++) {
        if (i === holdAt) await gate;
        const v = values[i]!;
        yield { position: `p${i + 1}`, value: v === null ? null : Buffer.from(v), checkpoint: { stream: 's', position: String(i + 1) } };
      }
    },
  };
}

const VALUES = [
  maxwellRow(1, 'ann'), maxwellRow(2, 'bo'), 'this is not json', maxwellRow(3, 'cy'),
  // after the gate
  maxwellRow(4, 'di'), null, maxwellRow(5, 'bad\u0000name'), '{"also": "not maxwell"', maxwellRow(6, 'ed'),
];

describe('ingest metrics', () => {
  it('count what was read, stored, dead-lettered and skipped, during the run and at its end', async () => {
    const decoder = await loadDecoder('maxwell');
    const source = gatedSource(VALUES, 4);
    const run = startIngest({
      pool: w.pool, sourceName: 'shop', source, decoderFor: () => decoder, ctx: decodeContext(), live: false,
      flushMs: 10, log: silentLogger, observer: telemetry.ingest.observer('shop'),
    });

    // During the run: the first batch (3 rows, 1 dead letter) committed, the source is held open.
    const during = await probeUntil('the first batch in the metrics', () => scrape(server.url),
      (m) => sampleValue(m, 'auditql_ingest_events_stored_total', { source: 'shop' }) === 3);
    expect(sampleValue(during, 'auditql_ingest_records_read_total', { source: 'shop', format: 'maxwell' })).toBe(4);
    expect(sampleValue(during, 'auditql_ingest_dead_letters_total', { source: 'shop', format: 'maxwell', code: 'AUDITQL_UNDECODABLE_RECORD' })).toBe(1);
    expect(sampleValue(during, 'auditql_ingest_source_up', { source: 'shop' })).toBe(1);
    expect(sampleValue(during, 'auditql_ingest_warehouse_outage', { source: 'shop' })).toBe(0);
    expect((await fetch(server.url.replace('/metrics', '/readyz'))).status).toBe(200);

    source.release();
    const summary = await run.done;
    const m = await scrape(server.url);
    expect(summary).toMatchObject({ read: 9, stored: 5, skipped: 1, deadLettered: 3, duplicates: 0 });
    expect(sampleValue(m, 'auditql_ingest_events_stored_total', { source: 'shop' })).toBe(summary.stored);
    expect(sampleSum(m, 'auditql_ingest_records_read_total', { source: 'shop' })).toBe(summary.read);
    expect(sampleSum(m, 'auditql_ingest_records_skipped_total', { source: 'shop' })).toBe(summary.skipped);
    expect(sampleValue(m, 'auditql_ingest_duplicates_total', { source: 'shop' })).toBe(0);

    // Dead letters: the counter by code is the table's rows by code.
    const table = await w.pool.query<{ code: string; n: number }>(
      `select error_code as code, count(*)::int as n from auditql.dead_letters where source = 'shop' group by 1 order by 1`);
    expect(table.rows.reduce((n, r) => n + r.n, 0)).toBe(summary.deadLettered);
    for (const r of table.rows) expect(sampleSum(m, 'auditql_ingest_dead_letters_total', { source: 'shop', code: r.code }), r.code).toBe(r.n);
    expect(sampleSum(m, 'auditql_ingest_dead_letters_total', { source: 'shop' })).toBe(summary.deadLettered);

    // Batches: every record of the run is in exactly one committed batch.
    expect(sampleValue(m, 'auditql_ingest_batch_records_sum', { source: 'shop' })).toBe(summary.read);
    expect(sampleValue(m, 'auditql_ingest_batch_records_count', { source: 'shop' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(m, 'auditql_ingest_sink_write_duration_seconds_count', { source: 'shop', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(m, 'auditql_ingest_source_up', { source: 'shop' })).toBe(0);
    expect(m.get('auditql_ingest_batch_records')?.type).toBe('histogram');

    // Warehouse gauges, from the warehouse itself.
    const head = await w.pool.query<{ head: string }>(`select max(seq)::text as head from auditql.changes`);
    expect(sampleValue(m, 'auditql_warehouse_feed_watermark')).toBe(Number(head.rows[0]!.head));
    expect(sampleValue(m, 'auditql_warehouse_feed_sequence')).toBeGreaterThanOrEqual(Number(head.rows[0]!.head));
    const parts = await w.pool.query<{ n: number }>(`select count(*)::int as n from pg_inherits where inhparent = 'auditql.changes'::regclass`);
    expect(parts.rows[0]!.n).toBeGreaterThan(0);
    expect(sampleValue(m, 'auditql_warehouse_partitions', { table: 'changes' })).toBe(parts.rows[0]!.n);
    expect(sampleValue(m, 'auditql_warehouse_up')).toBe(1);
  });

  it("report each stream's lag as the source says it, on every scrape", async () => {
    const decoder = await loadDecoder('maxwell');
    const gated = gatedSource([maxwellRow(11, 'x'), maxwellRow(12, 'y')], 1);
    let behind = 42;
    const source: Source = { ...gated, lag: () => [{ stream: 'topic/0', unit: 'records', value: behind }, { stream: 'file:/x', unit: 'bytes', value: 7 }] };
    const run = startIngest({
      pool: w.pool, sourceName: 'lagging', source, decoderFor: () => decoder, ctx: decodeContext(), live: false,
      flushMs: 10, log: silentLogger, observer: telemetry.ingest.observer('lagging'),
    });
    const m = await scrape(server.url);
    expect(sampleValue(m, 'auditql_ingest_source_lag_records', { source: 'lagging', stream: 'topic/0' })).toBe(42);
    expect(sampleValue(m, 'auditql_ingest_source_lag_bytes', { source: 'lagging', stream: 'file:/x' })).toBe(7);
    behind = 0;
    expect(sampleValue(await scrape(server.url), 'auditql_ingest_source_lag_records', { source: 'lagging', stream: 'topic/0' })).toBe(0);
    gated.release();
    await run.done;
  });

  it("a file's lag is the bytes not read yet, 0 once read", async () => {
    const { fileSource } = await import('../../src/sources/file/file-source.js');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'aq-lag-'));
    try {
      const file = join(dir, 'big.jsonl');
      const lines = Array.from({ length: 30_000 }, (_, i) => maxwellRow(i, 'n'.repeat(100)));
      writeFileSync(file, lines.join('\n') + '\n');
      const size = Buffer.byteLength(lines.join('\n') + '\n');
      const src = fileSource({ paths: [file], logFramer: null });
      const it = src.records()[Symbol.asyncIterator]();
      await it.next();
      const first = src.lag!()[0]!;
      expect(first.unit).toBe('bytes');
      expect(first.value).toBeGreaterThan(0);
      expect(first.value).toBeLessThan(size);
      while (!(await it.next()).done) { /* drain */ }
      expect(src.lag!()).toEqual([{ stream: `file:${file}`, unit: 'bytes', value: 0 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('count a redelivery as duplicates, and dead letters only for new rows', async () => {
    const before = await scrape(server.url);
    const decoder = await loadDecoder('maxwell');
    const source = gatedSource(VALUES, -1);
    const summary = await startIngest({
      pool: w.pool, sourceName: 'shop', source, decoderFor: () => decoder, ctx: decodeContext(), live: false,
      log: silentLogger, observer: telemetry.ingest.observer('shop'),
    }).done;
    const m = await scrape(server.url);
    const delta = (name: string) => sampleSum(m, name, { source: 'shop' }) - sampleSum(before, name, { source: 'shop' });
    expect(summary).toMatchObject({ stored: 0, deadLettered: 0, duplicates: 8 });
    expect(delta('auditql_ingest_events_stored_total')).toBe(0);
    expect(delta('auditql_ingest_duplicates_total')).toBe(summary.duplicates);
    expect(delta('auditql_ingest_dead_letters_total')).toBe(0);
    expect(delta('auditql_ingest_records_read_total')).toBe(9);
    const rows = await w.pool.query<{ n: number }>(`select count(*)::int as n from auditql.dead_letters where source = 'shop'`);
    expect(sampleSum(m, 'auditql_ingest_dead_letters_total', { source: 'shop' })).toBe(rows.rows[0]!.n);
  });

  it('reject malformed exposition text (the parser is strict)', () => {
    expect(() => parseExposition('# TYPE a_total counter\na_total{x="1} 1\n')).toThrow(/unterminated/);
    expect(() => parseExposition('# TYPE a counter\na 1\n')).toThrow(/_total/);
    expect(() => parseExposition('b 1\n')).toThrow(/outside its family/);
    expect(() => parseExposition('# TYPE c gauge\nc 1\nc 2\n')).toThrow(/repeated/);
    expect(() => parseExposition('# TYPE c gauge\nc one\n')).toThrow(/bad value/);
  });
});
