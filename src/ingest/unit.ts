/**
 * One source record on its way to the warehouse: the events it decoded to, or the dead letter it became.
 * The pipeline keeps units (not loose events) so that a record the warehouse refuses can be found and
 * dead-lettered with its own raw bytes, all its events together (store-batch.ts).
 */
import type { Batch, DeadLetter } from '../contracts/batch.js';
import type { Checkpoint, RawRecord } from '../contracts/records.js';
import type { ErrorCode } from '../errors.js';
import type { AuditEvent } from '../model/events.js';
import type { DecodedRecord } from './decode-record.js';

export interface Unit {
  readonly record: RawRecord;
  /** The decoder's format, for dead letters. */
  readonly format: string | null;
  readonly events: readonly AuditEvent[];
  readonly dead?: DeadLetter;
}

export function deadLetterOf(record: RawRecord, format: string | null, code: ErrorCode, message: string): DeadLetter {
  return {
    position: record.position, format, code, message, value: record.value,
    key: record.key ?? null,
    ...(record.topic !== undefined ? { topic: record.topic } : {}),
    ...(record.partition !== undefined ? { partition: record.partition } : {}),
    ...(record.offset !== undefined ? { offset: record.offset } : {}),
    ...(record.headers !== undefined ? { headers: record.headers } : {}),
  };
}

export function unitOf(record: RawRecord, format: string | null, d: DecodedRecord): Unit {
  if (d.kind === 'dead') return { record, format, events: [], dead: deadLetterOf(record, format, d.code, d.message) };
  return { record, format, events: d.events };
}

/** The batch these units make: their events in order, their dead letters, and the given checkpoints. */
export function batchOf(
  source: string,
  units: readonly Unit[],
  checkpoints: readonly Checkpoint[],
  delivery?: Batch['delivery'],
): Batch {
  const events: AuditEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const u of units) {
    if (u.dead) deadLetters.push(u.dead);
    else for (const e of u.events) events.push(e);
  }
  return { source, events, deadLetters, checkpoints, ...(delivery ? { delivery } : {}) };
}
