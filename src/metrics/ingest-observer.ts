/**
 * What the ingest pipeline tells an observer (metrics: src/metrics/ingest-metrics.ts). Small on purpose:
 * the pipeline calls it, never waits for it, and knows nothing of Prometheus.
 */
import type { SourceLag } from '../contracts/source.js';

/** A record as the pipeline decoded it (src/ingest/unit.ts `Unit` fits). */
export interface ObservedUnit {
  /** The decoder's format (`auto` with --format auto: the events then say which). */
  readonly format: string | null;
  readonly events: readonly { readonly format: string }[];
  /** Set when the record became a dead letter. */
  readonly dead?: { readonly code: string };
}

/** What the warehouse reported for one committed batch (BatchResult, plus records it refused). */
export interface ObservedOutcome {
  readonly stored: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** Records the warehouse refused, dead-lettered as AUDITQL_UNSTORABLE_RECORD. */
  readonly refused?: number;
}

export interface IngestObserver {
  /** How to read the source's lag now (Source.lag); called once, before `started`. */
  watchLag?(lag: () => readonly SourceLag[] | Promise<readonly SourceLag[]>): void;
  /** The run started reading its source. */
  started(): void;
  /** A record was read and decoded; `skipped` is the reason when it decoded to no events. */
  record(unit: ObservedUnit, skipped: string | undefined): void;
  /** A batch committed (after the source was acknowledged). */
  batch(units: readonly ObservedUnit[], outcome: ObservedOutcome): void;
  /** One sink write attempt ended: how long it took, and its error if it failed. */
  sinkWrite(seconds: number, error?: unknown): void;
  /** The run ended: the source was exhausted or stopped, or it failed. */
  ended(error?: unknown): void;
}
