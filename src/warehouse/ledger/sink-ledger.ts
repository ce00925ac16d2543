/**
 * The sink's one attachment to the ledger (sink.ts): `append` after the batch's COMMIT, on the sink's
 * connection (the follower, append.ts: leaves up to the watermark, then a checkpoint when `everyRows` are
 * uncovered), which also arms the sealing timer; `seal` at the end of a run.
 */
import type pg from 'pg';
import type { AuditEvent, EventKind } from '../../model/events.js';
import { followLedger } from './append.js';
import type { SealedCheckpoint, Sealer } from './sealer.js';

export class SinkLedger {
  constructor(private readonly sealer: Sealer | null) {}

  /**
   * Run the follower on `client`, outside any transaction. `batch` is what the triggering batch stored: the
   * follower covers every writer's committed rows, not only those, so it only tells wrappers (benchmarks)
   * what ran it.
   */
  async append(client: pg.ClientBase, batch: ReadonlyMap<EventKind, readonly AuditEvent[]>): Promise<void> {
    if (batch.size === 0) return;
    const { sealed, uncovered } = await followLedger(client, async (state) => {
      const s = this.sealer ? await this.sealer.sealIfDue(client, state) : null;
      return { sealed: s, uncovered: state.size > (s?.size ?? state.sealedSize) };
    });
    this.sealer?.committed(sealed, uncovered);
  }

  /** Append what the watermark covers and seal what is not covered yet (the seal is a no-op without a signing key). */
  async seal(): Promise<SealedCheckpoint | null> {
    return this.sealer ? this.sealer.sealNow() : null;
  }
}
