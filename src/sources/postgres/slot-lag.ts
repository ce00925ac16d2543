/**
 * How far a replication slot's capture is behind (Source.lag, docs/operations.md "Ingest"):
 * - bytes: `pg_current_wal_lsn() - confirmed_flush_lsn` of the slot, asked of the source database on each
 *   scrape (one catalog row, bounded by a query timeout). The slot confirms only what the warehouse
 *   stored, so this is the WAL the source keeps for auditql. It also counts WAL of tables outside the
 *   publication and of other databases written since the last captured commit: an idle publication on a
 *   busy server shows bytes growing until its next commit.
 * - seconds: the age (now minus its commit time) of the oldest transaction received from the slot and not
 *   yet stored; 0 when everything received is stored. Counted from the commit time, so it includes the time
 *   the transaction took to reach auditql.
 */
import type pg from 'pg';
import type { SourceLag } from '../../contracts/source.js';

/** The catalog query's bound: a slow or unreachable source gives no bytes this scrape, not a hung one. */
const QUERY_TIMEOUT_MS = 2000;

export class SlotLag {
  /** Commits handed to the pipeline and not acknowledged yet, oldest first: end LSN and commit time. */
  private readonly pending: { readonly endLsn: bigint; readonly committedAtMs: number }[] = [];

  constructor(private readonly pool: pg.Pool, private readonly slot: string, private readonly stream: string) {}

  /** A commit was handed to the pipeline. */
  handedOn(endLsn: bigint, committedAtMs: number): void {
    this.pending.push({ endLsn, committedAtMs });
  }

  /** The warehouse stored everything up to `lsn`. */
  stored(lsn: bigint): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.endLsn <= lsn) n++;
    this.pending.splice(0, n);
  }

  /** Commits handed on will not be acknowledged (the source stopped): they are not waiting any more. */
  clear(): void {
    this.pending.length = 0;
  }

  async read(now = Date.now()): Promise<readonly SourceLag[]> {
    const oldest = this.pending[0];
    const seconds: SourceLag = { stream: this.stream, unit: 'seconds', value: oldest ? Math.max(0, now - oldest.committedAtMs) / 1000 : 0 };
    const bytes = await this.bytes().catch(() => null);
    return bytes === null ? [seconds] : [{ stream: this.stream, unit: 'bytes', value: bytes }, seconds];
  }

  private async bytes(): Promise<number | null> {
    const r = await this.pool.query<{ bytes: number | null }>({
      text: 'select greatest(pg_current_wal_lsn() - confirmed_flush_lsn, 0)::float8 as bytes from pg_replication_slots where slot_name = $1',
      values: [this.slot],
      query_timeout: QUERY_TIMEOUT_MS,
    } as pg.QueryConfig);
    return r.rows[0]?.bytes ?? null;
  }
}
