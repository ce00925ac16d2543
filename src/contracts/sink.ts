/**
 * The sink contract: one method. `write` stores a whole batch — events, dead letters, checkpoints — in one
 * transaction, or throws and stores nothing. It is idempotent: events and dead letters already stored for the
 * batch's source are counted as duplicates, never stored twice. The warehouse's implementation is
 * `WarehouseSink` (src/warehouse/sink.ts); the pipeline (src/ingest/pipeline.ts) is its only caller.
 */
import type { Batch, BatchResult } from './batch.js';

export interface Sink {
  write(batch: Batch): Promise<BatchResult>;
}
