/**
 * The source contract: a transport as an async stream of raw records with positions. A source knows its
 * transport, never the formats. It learns that records are durable through `acknowledge`, called only
 * after the warehouse committed the batch holding them (Kafka commits offsets, the replication slot
 * confirms its LSN; the file source has nothing to do).
 */
import type { Checkpoint, SourceRecord } from './records.js';

/** How far a stream of a source is behind its end, in the source's own unit (metrics, docs/operations.md). */
export interface SourceLag {
  /** The checkpoint stream: `topic/partition`, `file:<path>`, `slot:<name>`, `<stream>/<shardId>` … */
  readonly stream: string;
  readonly unit: 'records' | 'bytes' | 'seconds';
  readonly value: number;
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
  /**
   * How far behind each stream is now, where the transport can tell (Kafka: records; files: bytes; a
   * replication slot: bytes and seconds; Kinesis: seconds; AMQP: records). Called on each metrics scrape:
   * cheap, and when it has to ask the transport, bounded in time (the caller gives up after a few seconds).
   * A stream it cannot measure now is left out, never reported stale.
   */
  lag?(): readonly SourceLag[] | Promise<readonly SourceLag[]>;
}

/**
 * Splits a text log into entries for formats that are not JSON (pgAudit stderr and csvlog): one entry may
 * span several lines. Streaming: feed lines without their newline; get back the entries they completed.
 * Decoders provide framers; the file source uses one without knowing the format.
 */
export interface LogFramer {
  line(text: string): string[];
  end(): string[];
}
