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

/** Epoch ms of a block's first positive timestamp field (ts_us, ts_ms, ts_ns, then legacy ts_usec / ts_sec), or null. */
export function instantOf(block: unknown): Date | null {
  if (!isPlainObject(block)) return null;
  const fields: readonly [string, (n: bigint) => bigint][] = [
    ['ts_us', (n) => n / 1_000n],
    ['ts_ms', (n) => n],
    ['ts_ns', (n) => n / 1_000_000n],
    ['ts_usec', (n) => n / 1_000n],
    ['ts_sec', (n) => n * 1_000n],
  ];
  for (const [field, toMs] of fields) {
    const n = bigIntOf(block[field]);
    if (n === null || n <= 0n) continue;
    const ms = toMs(n);
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
