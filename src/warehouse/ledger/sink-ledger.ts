/**
 * The sink's one attachment to the ledger (sink.ts): `committed` after each batch's COMMIT runs the
 * follower (append.ts: leaves up to the watermark, then a checkpoint when `everyRows` are uncovered, which
 * also arms the sealing timer) on a connection of its own; `seal` at the end of a run.
 *
 * The batch's rows are committed before the follower runs, so a failed follower never fails the batch
 * (a retry would only find duplicates): it is logged (its SQLSTATE, never a row's values), counted
 * (`ledgerFollowerStats`, `auditql_ledger_follower_failures_total`), and caught up by the next batch's
 * follower or a retry timer, whichever comes first; `seal` catches up too and throws if it cannot, so a
 * finite ingest fails clearly rather than exit with rows the log does not cover.
 */
import type pg from 'pg';
import type { AuditEvent, EventKind } from '../../model/events.js';
import { followLedger } from './append.js';
import type { SealedCheckpoint, Sealer } from './sealer.js';

/** Follower runs that failed (their rows were committed and are logged by a later run). */
export const ledgerFollowerStats = { failed: 0 };

export interface SinkLedgerOptions {
  /** Warnings: a failed follower, its catching up. */
  readonly log?: (msg: string) => void;
  /** How long after a failed follower to try again when no batch comes first (default 5 s). */
  readonly retryMs?: number;
}

type StoredBatch = ReadonlyMap<EventKind, readonly AuditEvent[]>;

/** What is safe to log of a failure: its SQLSTATE or error name (a message may quote a row's value). */
const described = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `SQLSTATE ${code}` : err instanceof Error ? err.name : 'unknown error';
};

export class SinkLedger {
  private inFlight: Promise<void> | null = null;
  private rerun = false;
  private lastBatch: StoredBatch | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failing = false;

  constructor(private readonly pool: pg.Pool, private readonly sealer: Sealer | null, private readonly o: SinkLedgerOptions = {}) {}

  /**
   * One run of the follower on `client`, outside any transaction; throws when it fails. `batch` is what the
   * triggering batch stored: the follower covers every writer's committed rows, not only those, so it only
   * tells wrappers (benchmarks) what ran it.
   */
  async append(client: pg.ClientBase, batch: StoredBatch): Promise<void> {
    if (batch.size === 0) return;
    const { sealed, uncovered } = await followLedger(client, async (state) => {
      const s = this.sealer ? await this.sealer.sealIfDue(client, state) : null;
      return { sealed: s, uncovered: state.size > (s?.size ?? state.sealedSize) };
    });
    this.sealer?.committed(sealed, uncovered);
  }

  /**
   * After a batch's COMMIT: run the follower. Single-flight: a batch committed while a run is in flight
   * gets one more run after it (which covers every batch committed meanwhile). Never rejects.
   */
  committed(batch: StoredBatch): Promise<void> {
    if (batch.size === 0) return this.inFlight ?? Promise.resolve();
    this.lastBatch = batch;
    if (this.inFlight) { this.rerun = true; return this.inFlight; }
    const run = this.loop().finally(() => { this.inFlight = null; });
    this.inFlight = run;
    return run;
  }

  /** Until no follower is in flight (what `seal` waits for; tests too). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /**
   * Wait for the follower in flight, append what the watermark covers and seal what is not covered yet (no
   * seal without a signing key). Throws, naming the failure, when the log cannot be brought up to date.
   */
  async seal(): Promise<SealedCheckpoint | null> {
    this.clearRetry();
    await this.settled();
    try {
      if (this.sealer) return await this.sealer.sealNow();
      const client = await this.pool.connect();
      try { await followLedger(client, async () => undefined); } finally { client.release(); }
      return null;
    } catch (err) {
      throw new Error(`the ledger could not log the rows stored (${described(err)}): they are committed but not covered by the log; ` +
        'a later run (ingest, seal at its end) appends them, and `auditql verify` reports them until then', { cause: err });
    }
  }

  private async loop(): Promise<void> {
    do {
      this.rerun = false;
      await this.runOnce(this.lastBatch!);
    } while (this.rerun);
  }

  private async runOnce(batch: StoredBatch): Promise<void> {
    let client: pg.PoolClient | null = null;
    try {
      client = await this.pool.connect();
      await this.append(client, batch);
      client.release();
      if (this.failing) {
        this.failing = false;
        this.clearRetry();
        this.o.log?.('ledger: the follower caught up: the rows committed meanwhile are logged');
      }
    } catch (err) {
      client?.release(true);
      ledgerFollowerStats.failed++;
      const retryMs = this.o.retryMs ?? 5_000;
      this.o.log?.(`ledger: the follower failed after a batch committed (${described(err)}); the rows are stored, and the next ` +
        `batch's follower or a retry in ${retryMs / 1000} s logs them`);
      this.failing = true;
      if (!this.retry) {
        this.retry = setTimeout(() => { this.retry = null; void this.committed(batch); }, retryMs);
        this.retry.unref();
      }
    }
  }

  private clearRetry(): void {
    if (this.retry) { clearTimeout(this.retry); this.retry = null; }
  }
}
