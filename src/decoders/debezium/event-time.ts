/**
 * When a change happened (docs/formats/debezium.md "Envelope", "Source block"). `source.ts_us` / `ts_ms` / `ts_ns` is the DB change time
 * (PG: commit time; MySQL: binlog event time); pre-1.0 events carry `ts_sec` (MySQL) or `ts_usec` (PostgreSQL). 0 means unknown (snapshot
 * examples print `ts_ms: 0`). Failing that, the envelope's `ts_ms` — when the connector processed the event —
 * is the best bound we have, marked `ENVELOPE`; with neither, the time is unknown.
 */
import type { TimeSource } from '../../model/events.js';
import { isPlainObject } from '../../model/json.js';
import { bigIntOf } from './scalars.js';

// JavaScript Date range: ±8.64e15 ms.
const MAX_MS = 8_640_000_000_000_000n;
const MAX_MS_NUMBER = 8_640_000_000_000_000;
const MAX_S = 8_640_000_000_000;

/** The timestamp fields in order of preference, and how many of their units make a millisecond (0: seconds). */
const FIELDS: readonly (readonly [string, number])[] = [['ts_us', 1_000], ['ts_ms', 1], ['ts_ns', 1_000_000], ['ts_usec', 1_000], ['ts_sec', 0]];

/** Epoch ms of a block's first positive timestamp field (ts_us, ts_ms, ts_ns, then legacy ts_usec / ts_sec), or null. */
export function instantOf(block: unknown): Date | null {
  if (!isPlainObject(block)) return null;
  for (const [field, per] of FIELDS) {
    const v = block[field];
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      // Exact in doubles: v - v % per is a multiple of per below 2^53, and v * 1000 is only taken under the limit.
      if (v <= 0) continue;
      if (per === 0) return v <= MAX_S ? new Date(v * 1000) : null;
      const ms = per === 1 ? v : (v - (v % per)) / per;
      return ms <= MAX_MS_NUMBER ? new Date(ms) : null;
    }
    const n = bigIntOf(v);
    if (n === null || n <= 0n) continue;
    const ms = per === 0 ? n * 1_000n : n / BigInt(per);
    return ms <= MAX_MS ? new Date(Number(ms)) : null;
  }
  return null;
}

/** committedAt and where it came from: the source block, else the envelope, else unknown. */
export function eventTime(source: unknown, envelope: unknown): { at: Date | null; from: TimeSource } {
  const fromSource = instantOf(source);
  if (fromSource) return { at: fromSource, from: 'SOURCE' };
  const fromEnvelope = instantOf(envelope);
  if (fromEnvelope) return { at: fromEnvelope, from: 'ENVELOPE' };
  return { at: null, from: 'UNKNOWN' };
}
