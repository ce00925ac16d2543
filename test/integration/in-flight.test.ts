/**
 * Batches in flight (docs/architecture.md "Batches in flight"): with `inFlight` K > 1 the pipeline writes
 * batches of different streams side by side on their own connections of the real warehouse, never two of
 * one stream, acknowledges a stream's batches in order and only after they committed, and a failure in one
 * stream's batch loses and duplicates nothing of the others.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { maxwellRow } from '../helpers/array-source.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { decodeContext } from '../../src/decoders/context.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { fileSource } from '../../src/sources/file/file-source.js';
import type { Batch, BatchResult } from '../../src/contracts/batch.js';
import type { Checkpoint, SourceRecord } from '../../src/contracts/records.js';
import type { Sink } from '../../src/contracts/sink.js';
import type { Source } from '../../src/contracts/source.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w?.destroy(); });

/** Fails (instead of hanging) when `p` does not settle in `ms`: a bound, not a synchronisation. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `perStream` records on each of `streams` streams, interleaved record by record (as Kafka partitions fetched
 * together are); record i of stream s is at position `<s>-<i>` with checkpoint position i, and its id is unique.
 * Acknowledgements are recorded per stream.
 */
function streamsSource(streams: readonly string[], perStream: number, opts: { from?: number } = {}): Source & { acked: Map<string, number[]> } {
  const acked = new Map<string, number[]>(streams.map((s) => [s, []]));
  return {
    description: 'streams',
    acked,
    async *records(): AsyncGenerator<SourceRecord> {
      for (let i = opts.from ?? 1; i <= perStream; i++) {
        for (const [k, s] of streams.entries()) {
          yield { position: `${s}-${i}`, value: Buffer.from(maxwellRow(k * 1_000_000 + i, `${s}${i}`)), checkpoint: { stream: s, position: String(i) } };
        }
        if (i % 25 === 0) await new Promise((r) => setImmediate(r)); // let timers and writes run, like a transport
      }
    },
    async acknowledge(cps: readonly Checkpoint[]) {
      for (const cp of cps) acked.get(cp.stream)!.push(Number(cp.position));
    },
  };
}

/** A sink around the real one that records how many batches, and of which streams, are being written at every moment. */
function watchedSink(inner: Sink, before?: (batch: Batch, streams: readonly string[]) => Promise<void>) {
  const writing = new Map<string, number>();
  let batches = 0;
  let maxTogether = 0;
  let overlapSameStream = false;
  const sink: Sink = {
    async write(batch: Batch): Promise<BatchResult> {
      const streams = batch.checkpoints.map((c) => c.stream);
      for (const s of streams) {
        if ((writing.get(s) ?? 0) > 0) overlapSameStream = true;
        writing.set(s, (writing.get(s) ?? 0) + 1);
      }
      maxTogether = Math.max(maxTogether, ++batches);
      try {
        await before?.(batch, streams);
        return await inner.write(batch);
      } finally {
        batches--;
        for (const s of streams) writing.set(s, writing.get(s)! - 1);
      }
    },
  };
  return { sink, stats: () => ({ maxTogether, overlapSameStream }) };
}

const stored = async (source: string) =>
  (await w.pool.query<{ position: string; seq: string }>('select position, seq from auditql.changes where source = $1 order by seq', [source])).rows;

const checkpoints = async (source: string) =>
  new Map((await w.pool.query<{ stream: string; position: string }>('select stream, position from auditql.checkpoints where source = $1', [source])).rows.map((r) => [r.stream, Number(r.position)]));

/** Every record of every stream stored once, each stream's rows in their order of `seq`. */
async function expectEachOnceInOrder(source: string, streams: readonly string[], perStream: number): Promise<void> {
  const rows = await stored(source);
  expect(rows.length).toBe(streams.length * perStream);
  expect(new Set(rows.map((r) => r.position)).size).toBe(rows.length);
  for (const s of streams) {
    const order = rows.filter((r) => r.position.startsWith(`${s}-`)).map((r) => Number(r.position.slice(s.length + 1).split(/[^0-9]/)[0]));
    expect(order, s).toEqual(Array.from({ length: perStream }, (_, i) => i + 1));
  }
}

describe('batches in flight', () => {
  it('writes a batch of another stream while the first one has not committed yet (K = 2)', async () => {
    const decoder = await loadDecoder('maxwell');
    let secondStarted!: () => void;
    const second = new Promise<void>((r) => { secondStarted = r; });
    let writes = 0;
    const watched = watchedSink(new WarehouseSink(w.pool), async () => {
      writes++;
      // The first batch (stream a) does not commit until a batch of stream b has started being written.
      if (writes === 1) await within(10_000, 'a second batch in flight beside the first', second);
      else secondStarted();
    });
    const source = streamsSource(['a', 'b'], 10);
    const summary = await new IngestPipeline({
      sourceName: 'side-by-side', source, decoderFor: () => decoder, ctx: decodeContext(), sink: watched.sink, batchSize: 10, inFlight: 2,
    }).run();
    expect(summary).toMatchObject({ read: 20, stored: 20 });
    expect(watched.stats()).toEqual({ maxTogether: 2, overlapSameStream: false });
    expect(source.acked).toEqual(new Map([['a', [10]], ['b', [10]]]));
    await expectEachOnceInOrder('side-by-side', ['a', 'b'], 10);
  });

  it('keeps each stream in order and stores every record once over many batches (K = 4, 6 streams)', async () => {
    const decoder = await loadDecoder('maxwell');
    const streams = ['s0', 's1', 's2', 's3', 's4', 's5'];
    let n = 0;
    // The warehouse answers unevenly, so lanes finish out of step with one another.
    const watched = watchedSink(new WarehouseSink(w.pool), async () => {
      if (++n % 3 === 0) await new Promise((r) => setTimeout(r, 5));
    });
    const source = streamsSource(streams, 200);
    const summary = await new IngestPipeline({
      sourceName: 'many', source, decoderFor: () => decoder, ctx: decodeContext(), sink: watched.sink, batchSize: 40, flushMs: 5, inFlight: 4,
    }).run();
    expect(summary).toMatchObject({ read: 1200, stored: 1200, duplicates: 0 });
    const stats = watched.stats();
    expect(stats.overlapSameStream).toBe(false);
    expect(stats.maxTogether).toBeGreaterThan(1);
    expect(stats.maxTogether).toBeLessThanOrEqual(4);
    for (const s of streams) {
      const acks = source.acked.get(s)!;
      expect(acks.at(-1), s).toBe(200);
      expect(acks, `${s}: acknowledged in order`).toEqual([...acks].sort((x, y) => x - y));
      expect(new Set(acks).size).toBe(acks.length);
    }
    expect(await checkpoints('many')).toEqual(new Map(streams.map((s) => [s, 200])));
    await expectEachOnceInOrder('many', streams, 200);
  });

  it('a connection lost in one batch is waited out; the batches beside it lose and duplicate nothing', async () => {
    const decoder = await loadDecoder('maxwell');
    const streams = ['t0', 't1', 't2'];
    let inserts = 0;
    // Real connection losses inside the transaction, after the inserts: the batch rolls back and is retried.
    const sink = new WarehouseSink(w.pool, async (client) => {
      if (++inserts === 3 || inserts === 8) await client.query('select pg_terminate_backend(pg_backend_pid())');
    });
    const source = streamsSource(streams, 60);
    const summary = await new IngestPipeline({
      sourceName: 'lost', source, decoderFor: () => decoder, ctx: decodeContext(), sink, batchSize: 15, inFlight: 3,
    }).run();
    expect(summary).toMatchObject({ read: 180, stored: 180, duplicates: 0 });
    for (const s of streams) {
      const acks = source.acked.get(s)!; // a retried batch may let a timer flush cut the next one short
      expect(acks.at(-1), s).toBe(60);
      expect(acks, `${s}: acknowledged in order`).toEqual([...new Set(acks)].sort((x, y) => x - y));
    }
    await expectEachOnceInOrder('lost', streams, 60);
  });

  it('a stream whose batch fails for good ends the run; what the others committed is acknowledged, and a rerun stores the rest once', async () => {
    const decoder = await loadDecoder('maxwell');
    const streams = ['u0', 'u1', 'u2'];
    const real = new WarehouseSink(w.pool);
    let u1Writes = 0;
    const failing: Sink = {
      async write(batch) {
        if (batch.checkpoints.some((c) => c.stream === 'u1') && ++u1Writes === 2) throw Object.assign(new Error('disk full'), { code: '53100' });
        return real.write(batch);
      },
    };
    const first = streamsSource(streams, 100);
    await expect(new IngestPipeline({
      sourceName: 'fails', source: first, decoderFor: () => decoder, ctx: decodeContext(), sink: failing, batchSize: 10, inFlight: 3,
    }).run()).rejects.toThrow(/disk full/);
    // Acknowledged exactly what committed, per stream: the warehouse checkpoint is the last acknowledgement.
    const cps = await checkpoints('fails');
    expect(first.acked.get('u1')).toEqual([10]);
    for (const s of streams) {
      const acks = first.acked.get(s)!;
      expect(acks, s).toEqual(Array.from({ length: acks.length }, (_, i) => (i + 1) * 10));
      expect(cps.get(s), s).toBe(acks.at(-1));
    }
    const rows = await stored('fails');
    expect(rows.length).toBe(streams.reduce((n, s) => n + (cps.get(s) ?? 0), 0));

    // The source redelivers from each stream's start (like a file read again): nothing doubles.
    const again = streamsSource(streams, 100);
    const summary = await new IngestPipeline({
      sourceName: 'fails', source: again, decoderFor: () => decoder, ctx: decodeContext(), sink: real, batchSize: 10, inFlight: 3,
    }).run();
    expect(summary.stored + summary.duplicates).toBe(300);
    expect(summary.duplicates).toBe(rows.length);
    await expectEachOnceInOrder('fails', streams, 100);
  });

  it('several files are several streams: read a chunk of each in turn and written side by side', async () => {
    const decoder = await loadDecoder('maxwell');
    const dir = mkdtempSync(join(tmpdir(), 'aq-inflight-'));
    const paths = [0, 1, 2].map((f) => {
      const p = join(dir, `f${f}.json`);
      writeFileSync(p, Array.from({ length: 300 }, (_, i) => maxwellRow(10_000_000 + f * 1000 + i, `file${f}-${i}`)).join('\n') + '\n');
      return p;
    });
    const watched = watchedSink(new WarehouseSink(w.pool));
    const summary = await new IngestPipeline({
      sourceName: 'files', source: fileSource({ paths, logFramer: null, parallel: 3 }), decoderFor: () => decoder, ctx: decodeContext(),
      sink: watched.sink, batchSize: 50, inFlight: 3,
    }).run();
    expect(summary).toMatchObject({ read: 900, stored: 900 });
    expect(watched.stats().overlapSameStream).toBe(false);
    expect(await checkpoints('files')).toEqual(new Map(paths.map((p) => [`file:${resolve(p)}`, 300])));
  });
});
