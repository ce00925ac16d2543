/**
 * The advisory lock keys the warehouse's writers share (docs/warehouse.md "Locks"). Their own module so that
 * the sink, attribution and the ledger share them without importing each other. Keys 7411000–7411006 are
 * auditql's; the in-flight markers use bigint keys from 2^62 up (migrations/040_concurrent_writers.sql).
 */
import type pg from 'pg';

/** Keeps two migrators apart (migrate.ts); a session lock, held for the whole run. */
export const MIGRATION_LOCK = 7_411_001;

/** Serializes creating partitions (partitions.ts); the index builder holds it on the default partition. */
export const PARTITION_LOCK = 7_411_002;

/** Taken right before attribution settles, held for the settlement and the commit only (sink.ts). */
export const ATTRIBUTION_LOCK = 7_411_004;

/** Serializes appending to the ledger, sealing and signed retention (ledger/append.ts). */
export const LEDGER_LOCK = 7_411_005;

/**
 * Take a session advisory lock, polling `pg_try_advisory_lock` instead of waiting in `pg_advisory_lock`.
 * A backend blocked in `pg_advisory_lock` is in a running statement and so holds a snapshot, and
 * `CREATE INDEX CONCURRENTLY` waits for every older snapshot: a migrator or partition creator waiting on
 * the index builder's lock would then wait for a build that waits for it (concurrent-indexes.ts). Between
 * two tries this session holds no snapshot.
 */
export async function takeSessionLock(client: pg.PoolClient, key: number): Promise<void> {
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const r = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [key]);
    if (r.rows[0]!.ok) return;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
