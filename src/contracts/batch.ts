/**
 * What the pipeline hands the sink: one batch, written in one warehouse transaction (docs/warehouse.md
 * "The sink"), and what the sink reports back.
 */
import type { ErrorCode } from '../errors.js';
import type { AuditEvent } from '../model/events.js';
import type { Checkpoint } from './records.js';

/** A record that could not be framed, decoded or stored: kept with its raw bytes and a stable code. */
export interface DeadLetter {
  readonly position: string;
  readonly format: string | null;
  readonly code: ErrorCode;
  /** Safe to store and show: no row values, no SQL. */
  readonly message: string;
  readonly value: Buffer | null;
  readonly key?: Buffer | null;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Batch {
  readonly source: string;
  readonly events: readonly AuditEvent[];
  readonly deadLetters: readonly DeadLetter[];
  readonly checkpoints: readonly Checkpoint[];
  /** A whole delivery (Firehose request id): stored with the batch; a repeat is refused as a duplicate. */
  readonly delivery?: { readonly requestId: string; readonly records: number };
}

/** The feed sequence numbers a batch's rows were given, by kind. */
export interface StoredSeqs {
  readonly change: readonly string[];
  readonly activity: readonly string[];
  readonly context: readonly string[];
}

export interface BatchResult {
  readonly stored: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** True when `delivery` had already been stored: nothing in the batch was written. */
  readonly duplicateDelivery: boolean;
  readonly seqs: StoredSeqs;
}
