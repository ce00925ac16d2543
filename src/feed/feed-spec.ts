/**
 * What a subscription follows: one kind of row (changes or activity) under one filter. The feed knows
 * nothing else about it — how to read a slice of the warehouse in seq order, and how to turn a batch of
 * rows into what subscribers receive (once per batch, shared by every subscriber it is delivered to).
 */
import type { FeedSlice } from '../warehouse/queries/feed.js';

export interface FeedRow {
  /** The warehouse feed sequence (int8 as decimal text). */
  readonly seq: string;
}

export interface FeedSpec<R extends FeedRow, T> {
  /** Equal keys mean equal reads: subscribers with the same key share one read per wake-up. */
  readonly key: string;
  /** Rows with `after < seq <= upto`, oldest first, at most `limit` (src/warehouse/queries/feed.ts). */
  read(slice: FeedSlice): Promise<readonly R[]>;
  /** Rows → items, once per batch read. */
  prepare(rows: readonly R[]): T[];
}

/** A batch as the feed hands it to subscribers: items with their seqs, and the slice's upper bound. */
export interface FeedBatch<T> {
  readonly seqs: readonly bigint[];
  readonly items: readonly T[];
  /** Everything matching at or below this seq has been read (the next read starts above it). */
  readonly upto: bigint;
}

/** A canonical, order-independent text for a filter object: the key part of a `FeedSpec`. */
export function canonicalKey(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (v === undefined || v === null) return null;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(norm).map((x) => JSON.stringify(x)).sort();
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = norm((v as Record<string, unknown>)[k]);
        if (x !== null) out[k] = x;
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value));
}
