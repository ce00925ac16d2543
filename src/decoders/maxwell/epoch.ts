/**
 * Maxwell's `ts` has two units (docs/formats/maxwell.md "Row messages", "DDL messages"): row events print epoch SECONDS (RowMap.toJSON writes
 * `timestampSeconds`), DDL events print epoch MILLISECONDS (DDLMap.toJSON puts its own millisecond
 * `timestamp`). Missing, non-numeric, zero or negative → unknown (null): a binlog event is never at the epoch.
 */
import type { TimeSource } from '../../model/events.js';

export interface SourceTime {
  readonly at: Date | null;
  readonly source: TimeSource;
}

const UNKNOWN: SourceTime = Object.freeze({ at: null, source: 'UNKNOWN' });

function toDate(value: unknown, msPerUnit: number): SourceTime {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return UNKNOWN;
  const at = new Date(Math.round(n * msPerUnit));
  return Number.isNaN(at.getTime()) ? UNKNOWN : { at, source: 'SOURCE' };
}

/** A row event's `ts`: epoch seconds. */
export const rowTime = (ts: unknown): SourceTime => toDate(ts, 1000);

/** A DDL event's `ts`: epoch milliseconds. */
export const ddlTime = (ts: unknown): SourceTime => toDate(ts, 1);
