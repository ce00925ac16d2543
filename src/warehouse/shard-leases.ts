/**
 * Shard leases in the warehouse (migrations/012_shard_leases.sql; docs/sources/kinesis.md "Sharing a
 * stream"): which ingest process reads which shard of a stream, with plain SQL through the warehouse pool.
 * Time is the warehouse's (`now()`), so processes on machines with skewed clocks agree on expiry. The
 * source gets this as an injected `ShardLeases`, and never sees SQL.
 */
import type pg from 'pg';

export interface ShardLeaseRow {
  readonly shard: string;
  readonly owner: string;
  /** The lease has not expired. */
  readonly live: boolean;
  readonly finished: boolean;
}

export interface ShardLeases {
  /** Take the lease of a shard that is free, expired or already ours, for `ttlMs`; false when another process holds it or it is finished. */
  acquire(shard: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extend our leases; returns the shards still ours (a lease another process took over is lost). */
  renew(shards: readonly string[], owner: string, ttlMs: number): Promise<Set<string>>;
  /** Give a lease up now (a graceful stop, or handing a shard to a process with fewer). */
  release(shard: string, owner: string): Promise<void>;
  /** The shard was read to its end and all of it is stored: its children may be read. */
  finish(shard: string, owner: string): Promise<void>;
  /** Every lease of the source. */
  list(): Promise<ShardLeaseRow[]>;
}

export function warehouseShardLeases(pool: pg.Pool, source: string): ShardLeases {
  return {
    async acquire(shard, owner, ttlMs) {
      const r = await pool.query(
        `INSERT INTO auditql.shard_leases (source, shard, owner, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
         ON CONFLICT (source, shard) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE auditql.shard_leases.finished_at IS NULL
             AND (auditql.shard_leases.owner = excluded.owner OR auditql.shard_leases.expires_at < now())
         RETURNING shard`,
        [source, shard, owner, ttlMs],
      );
      return r.rowCount === 1;
    },
    async renew(shards, owner, ttlMs) {
      if (shards.length === 0) return new Set();
      const r = await pool.query<{ shard: string }>(
        `UPDATE auditql.shard_leases SET expires_at = now() + make_interval(secs => $4::double precision / 1000)
         WHERE source = $1 AND owner = $2 AND shard = ANY($3::text[]) AND finished_at IS NULL
         RETURNING shard`,
        [source, owner, shards, ttlMs],
      );
      return new Set(r.rows.map((x) => x.shard));
    },
    async release(shard, owner) {
      await pool.query(
        `UPDATE auditql.shard_leases SET expires_at = now() - interval '1 millisecond' WHERE source = $1 AND shard = $2 AND owner = $3`,
        [source, shard, owner],
      );
    },
    async finish(shard, owner) {
      await pool.query(
        `UPDATE auditql.shard_leases SET finished_at = now(), expires_at = now() WHERE source = $1 AND shard = $2 AND owner = $3 AND finished_at IS NULL`,
        [source, shard, owner],
      );
    },
    async list() {
      const r = await pool.query<ShardLeaseRow>(
        `SELECT shard, owner, expires_at > now() AS live, finished_at IS NOT NULL AS finished FROM auditql.shard_leases WHERE source = $1`,
        [source],
      );
      return r.rows;
    },
  };
}
