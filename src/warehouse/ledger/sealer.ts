/**
 * Sealing signed checkpoints (docs/ledger.md "Checkpoints"): when `everyRows` leaves are not yet covered
 * the sink's ledger follower seals one in its transaction, after its append (sealIfDue); otherwise a timer seals one `everyMs`
 * after the first uncovered batch committed; `sealNow` seals what is left (a finite ingest, before it
 * exits). Nothing is sealed when nothing was written since the last checkpoint. Each checkpoint is
 * announced on CHECKPOINT_CHANNEL (Subscription.checkpointAdded) and, when configured, written to a
 * directory and POSTed to a URL (checkpoint-post.ts, in the background) so it leaves the warehouse.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { appendLeaves, lockLedger, type LedgerState } from './append.js';
import { signCheckpoint } from './checkpoint.js';
import type { Signer } from './signed-note.js';
import type { LedgerConfig } from '../../config/ledger.js';
import { CheckpointPoster } from './checkpoint-post.js';

export const CHECKPOINT_CHANNEL = 'auditql_checkpoint';

export interface SealerOptions {
  readonly signer: Signer;
  readonly origin: string;
  readonly everyRows: number;
  readonly everyMs: number;
  readonly exportDir?: string | null;
  readonly exportUrl?: string | null;
  readonly exportTokenFile?: string | null;
  readonly onError?: (err: Error) => void;
  /** Warnings of the checkpoint POSTs. */
  readonly log?: (msg: string) => void;
}

export interface SealedCheckpoint {
  readonly size: number;
  readonly note: string;
}

/** Seal the log as it stands in `state` (the caller's transaction, holding LEDGER_LOCK). */
export async function sealState(client: pg.ClientBase, state: LedgerState, o: Pick<SealerOptions, 'signer' | 'origin'>): Promise<SealedCheckpoint | null> {
  if (state.size <= state.sealedSize) return null;
  const time = new Date();
  const root = state.range.root();
  const note = signCheckpoint({ origin: o.origin, size: state.size, root, time }, o.signer);
  await client.query(
    `INSERT INTO auditql.ledger_checkpoints (tree_size, root_hash, last_seq, sealed_at, key_name, key_id, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tree_size) DO NOTHING`,
    [state.size, root, state.lastSeq, time, o.signer.name, o.signer.keyId.toString('hex'), note],
  );
  await client.query('UPDATE auditql.ledger_state SET sealed_size = $1, sealed_at = $2', [state.size, time]);
  await client.query('SELECT pg_notify($1, $2)', [CHECKPOINT_CHANNEL, String(state.size)]);
  return { size: state.size, note };
}

export class Sealer {
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<unknown> = Promise.resolve();
  /** The checkpoints' POSTs, when AUDITQL_CHECKPOINT_URL is set. */
  readonly poster: CheckpointPoster | null;

  constructor(private readonly pool: pg.Pool, private readonly o: SealerOptions) {
    this.poster = o.exportUrl ? new CheckpointPoster({ url: o.exportUrl, tokenFile: o.exportTokenFile ?? null, ...(o.log ? { log: o.log } : {}) }) : null;
  }

  /** In the ledger follower's transaction, after the append: seal when `everyRows` leaves are uncovered. */
  async sealIfDue(client: pg.ClientBase, state: LedgerState): Promise<SealedCheckpoint | null> {
    if (state.size - state.sealedSize < this.o.everyRows) return null;
    return sealState(client, state, this.o);
  }

  /** After the follower's commit: arm the timer when something is uncovered. */
  committed(sealed: SealedCheckpoint | null, uncovered: boolean): void {
    if (sealed) void this.export(sealed);
    if (!uncovered || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pending = this.sealNow().catch((err: Error) => this.o.onError?.(err));
    }, this.o.everyMs);
    this.timer.unref();
  }

  /**
   * Append what the watermark covers and seal whatever is not covered yet, in its own transaction; null
   * when everything was.
   */
  async sealNow(): Promise<SealedCheckpoint | null> {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    await this.pending.catch(() => {});
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await lockLedger(client);
      const sealed = await sealState(client, await appendLeaves(client), this.o);
      await client.query('COMMIT');
      if (sealed) await this.export(sealed);
      return sealed;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private async export(c: SealedCheckpoint): Promise<void> {
    this.poster?.post(c); // queued: delivered in the background, never awaited here
    if (!this.o.exportDir) return;
    try {
      await mkdir(this.o.exportDir, { recursive: true });
      await writeFile(join(this.o.exportDir, `${c.size}.checkpoint`), c.note, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') this.o.onError?.(err as Error);
    }
  }
}

/** A sealer for this configuration, or null without a signing key (leaves are still appended). */
export function sealerFor(
  pool: pg.Pool,
  c: Pick<LedgerConfig, 'signer' | 'origin' | 'everyRows' | 'everyMs' | 'exportDir'> & Partial<Pick<LedgerConfig, 'exportUrl' | 'exportTokenFile'>>,
  onError?: (err: Error) => void,
  log?: (msg: string) => void,
): Sealer | null {
  if (!c.signer) return null;
  return new Sealer(pool, {
    signer: c.signer, origin: c.origin ?? c.signer.name, everyRows: c.everyRows, everyMs: c.everyMs, exportDir: c.exportDir,
    exportUrl: c.exportUrl ?? null, exportTokenFile: c.exportTokenFile ?? null, ...(onError ? { onError } : {}), ...(log ? { log } : {}),
  });
}
