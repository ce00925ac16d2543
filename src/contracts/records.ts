/**
 * What a source hands the pipeline: one record as its transport delivered it, with a position and where
 * to resume. Sources build these and decoders read them; neither side owns the type (docs/architecture.md
 * "Contracts").
 */

/** One record as a transport delivered it. */
export interface RawRecord {
  /** Unique per source and stable across redelivery (Kafka topic/partition/offset, or a content hash). */
  readonly position: string;
  /** The record value's bytes as received. null = Kafka tombstone. */
  readonly value: Buffer | null;
  /** The record key's bytes (Kafka key), when the transport has one. */
  readonly key?: Buffer | null;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  /** Transport timestamp (Kafka record timestamp, epoch ms as a string). */
  readonly timestamp?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The transport could not frame this record (a truncated JSON line, an item past the size limit): `value`
   * holds the raw bytes cut at the next record boundary, and the pipeline dead-letters them with this reason.
   */
  readonly framingError?: string;
}

/** Where a stream resumes: written in the same warehouse transaction as the batch holding its record. */
export interface Checkpoint {
  readonly stream: string;
  readonly position: string;
}

export interface SourceRecord extends RawRecord {
  /** Where to resume after this record. */
  readonly checkpoint?: Checkpoint;
}
