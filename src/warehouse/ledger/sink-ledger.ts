/**
 * The sink's one attachment to the ledger (sink.ts): `append` in the batch transaction after everything is
 * inserted (leaves, then a checkpoint when `everyRows` are uncovered), `committed` after COMMIT (the
 * sealing timer), `seal` at the end of a run.
 */
import type pg from 'pg';
import type { AuditEvent, EventKind } from '../../model/events.js';
import { KIND_TABLES, type ColumnSpec } from '../columns.js';
import { appendLeaves, boundsOf, type PartBounds } from './append.js';
import type { SealedCheckpoint, Sealer } from './sealer.js';

const partAt = (kind: 'change' | 'activity') =>
  (KIND_TABLES[kind].columns as readonly ColumnSpec<AuditEvent>[]).find((c) => c.column === 'part_at')!.get;
const PART_AT = { change: partAt('change'), activity: partAt('activity') };

export class SinkLedger {
  private sealed: SealedCheckpoint | null = null;
  private uncovered = false;

  constructor(private readonly sealer: Sealer | null) {}

  async append(client: pg.ClientBase, byKind: ReadonlyMap<EventKind, readonly AuditEvent[]>): Promise<void> {
    const b: { -readonly [K in keyof PartBounds]: PartBounds[K] } = {};
    const changes = byKind.get('change');
    if (changes) b.changes = boundsOf(changes.map((e) => PART_AT.change(e) as string));
    const activity = byKind.get('activity');
    if (activity) b.activity = boundsOf(activity.map((e) => PART_AT.activity(e) as string));
    const state = await appendLeaves(client, b);
    this.sealed = this.sealer ? await this.sealer.sealIfDue(client, state) : null;
    this.uncovered = state.size > (this.sealed?.size ?? state.sealedSize);
  }

  committed(): void {
    this.sealer?.committed(this.sealed, this.uncovered);
    this.sealed = null;
  }

  /** Seal what is not covered yet (no-op without a signing key). */
  async seal(): Promise<SealedCheckpoint | null> {
    return this.sealer ? this.sealer.sealNow() : null;
  }
}
