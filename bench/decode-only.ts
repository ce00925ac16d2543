/**
 * bench:ingest's decode-only mode: Node's CPU per Debezium event end to end without the warehouse. The file
 * goes through the same code the file ingest runs — the file source (framing, content hash), the Debezium
 * decoder (lossless parse, value decoding), the storability check and the pipeline's batching — into a sink
 * that encodes every row exactly as the direct write does (direct-write.ts `directCells`, copy-text.ts
 * `copyRow`, joined into ~1 MiB chunks as copy-stream.ts does) and throws the text away. Not measured: the
 * wire protocol, the probe's parameters, the ledger, and everything PostgreSQL does.
 *
 * CPU is `process.cpuUsage()` (user + system, every thread of the process, garbage collection included)
 * around the pipeline run; the file is generated before and is in the page cache.
 */
import type { Batch, BatchResult } from '../src/contracts/batch.js';
import type { Sink } from '../src/contracts/sink.js';
import { directCells } from '../src/warehouse/direct-write.js';
import { copyRow } from '../src/warehouse/copy-text.js';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { fileSource } from '../src/sources/file/file-source.js';
import { loadDecoder } from '../src/decoders/registry.js';
import { decodeContext } from '../src/decoders/context.js';

const CHUNK = 1 << 20;

/** A sink that COPY-encodes each batch's rows and discards them; counts rows and bytes. */
class EncodeOnlySink implements Sink {
  rows = 0;
  bytes = 0;
  private seq = 1;

  async write(batch: Batch): Promise<BatchResult> {
    // The sink COPYs each kind separately; one chunk per batch costs the same per row.
    let chunk = '';
    for (const e of batch.events) {
      chunk += copyRow(directCells(e.kind, String(this.seq++), batch.source, e));
      if (chunk.length > CHUNK) { this.bytes += chunk.length; chunk = ''; }
    }
    this.bytes += chunk.length;
    this.rows += batch.events.length;
    return { stored: batch.events.length, duplicates: 0, deadLettered: 0, duplicateDelivery: false, seqs: { change: [], activity: [], context: [] } };
  }
}

export interface DecodeOnlyResult {
  readonly events: number;
  readonly cpuUs: number;
  readonly usPerEvent: number;
  readonly wallS: number;
  readonly peakRss: number;
  readonly copyBytes: number;
}

export async function decodeOnly(file: string, batchSize: number): Promise<DecodeOnlyResult> {
  const decoder = await loadDecoder('debezium');
  const ctx = decodeContext();
  const sink = new EncodeOnlySink();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await new IngestPipeline({
    sourceName: 'bench-decode-only', source: fileSource({ paths: [file], logFramer: null }),
    decoderFor: () => decoder, ctx, sink, batchSize,
  }).run();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (summary.stored !== summary.read || sink.rows !== summary.read) throw new Error(`decode-only: ${JSON.stringify(summary)}`);
  const cpuUs = cpu.user + cpu.system;
  return { events: summary.read, cpuUs, usPerEvent: cpuUs / summary.read, wallS, peakRss, copyBytes: sink.bytes };
}
