/**
 * The source contract: a transport as an async stream of raw records with positions. A source knows its
 * transport, never the formats. It learns that records are durable through `acknowledge`, called only
 * after the warehouse committed the batch holding them (Kafka commits offsets, the replication slot
 * confirms its LSN; the file source has nothing to do).
 */
import type { RawRecord } from '../decoders/decoder.js';
import type { Checkpoint } from '../warehouse/sink.js';

export interface SourceRecord extends RawRecord {
  /** Where to resume after this record; written in the same transaction as the batch holding it. */
  readonly checkpoint?: Checkpoint;
}

export interface Source {
  /** For logs and messages: e.g. `file orders.json`, `kafka dbserver1.*`. */
  readonly description: string;
  records(): AsyncIterable<SourceRecord>;
  /** The batch ending with these checkpoints is durable. */
  acknowledge?(checkpoints: readonly Checkpoint[]): Promise<void>;
  /** Stop producing records (SIGTERM); `records()` then ends after what it already yielded. */
  stop?(): void | Promise<void>;
  /**
   * The pipeline gave up (a batch could not be stored): records yielded since the last `acknowledge` will
   * never be acknowledged. A source that waits for acknowledgements must stop waiting, and end or throw
   * from `records()` without yielding more.
   */
  fail?(reason: unknown): void;
}
