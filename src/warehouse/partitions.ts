/**
 * Daily range partitions for auditql.changes and auditql.activity (plain PostgreSQL path). Created ahead
 * of time (today … +N days) and on demand for the days a batch touches, before the batch's transaction.
 * Days outside the managed window — and unknown times, stored at the epoch — stay in the default
 * partition, so an odd timestamp never fails ingest. TimescaleDB manages its own chunks; retention and
 * compression of them are in timescale.ts.
 */
import type pg from 'pg';
import { dropPartitionRecorded, type RetentionSigner } from './ledger/retention-event.js';
import { compressChunksBefore, dropChunksBefore } from './timescale.js';
import { forgetDays, forgetDaysBetween } from './entity-locator.js';
import { forgetTxDays, forgetTxDaysBetween } from './tx-locator.js';
import { PARTITION_LOCK, takeSessionLock } from './locks.js';

export const PARTITIONED_TABLES = ['changes', 'activity'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

const DAY_MS = 86_400_000;
const EARLIEST = Date.UTC(1990, 0, 1);

export const EPOCH = new Date(0);

/** The UTC day a timestamp falls in, as 'YYYY-MM-DD'. */
export const dayOf = (d: Date): string => d.toISOString().slice(0, 10);
/** The UTC day a row is partitioned by (columns.ts `part_at`): its time, or the epoch when unknown. */
export const partDayOf = (d: Date | null): string => dayOf(d && !Number.isNaN(d.getTime()) ? d : EPOCH);

export class PartitionManager {
  private readonly known = new Set<string>();
  private timescale: boolean | undefined;

  constructor(private readonly pool: pg.Pool, private readonly aheadDays = 7, private readonly futureLimitDays = 31) {}

  private async isTimescale(): Promise<boolean> {
    if (this.timescale === undefined) {
      const r = await this.pool.query<{ options: { timescaledb?: boolean } }>(
        `select options from auditql.schema_migrations where name = '001_warehouse.sql'`,
      );
      this.timescale = Boolean(r.rows[0]?.options.timescaledb);
    }
    return this.timescale;
  }

  /** Partitions for today and the next `aheadDays` days, for both tables. */
  async createAhead(now = new Date()): Promise<void> {
    const days: string[] = [];
    for (let i = -1; i <= this.aheadDays; i++) days.push(dayOf(new Date(now.getTime() + i * DAY_MS)));
    for (const t of PARTITIONED_TABLES) await this.ensure(t, days);
  }

  /** Make sure the partitions for these days exist (days outside the managed window are left to the default). */
  async ensure(table: PartitionedTable, days: Iterable<string>): Promise<void> {
    const limit = Date.now() + this.futureLimitDays * DAY_MS;
    const missing = [...new Set(days)].filter((d) => {
      if (this.known.has(`${table}:${d}`)) return false;
      const t = Date.parse(`${d}T00:00:00Z`);
      return t >= EARLIEST && t <= limit;
    });
    if (missing.length === 0 || (await this.isTimescale())) {
      for (const d of missing) this.known.add(`${table}:${d}`);
      return;
    }
    const client = await this.pool.connect();
    try {
      await takeSessionLock(client, PARTITION_LOCK);
      for (const day of missing) {
        // migrations/010_roles.sql: a SECURITY DEFINER function, so the insert-only writer role can create
        // partitions it does not own; it leaves a day whose rows already sit in the default partition there.
        await client.query('SELECT auditql.ensure_daily_partition($1, $2::date)', [table, day]);
        this.known.add(`${table}:${day}`);
      }
    } finally {
      await client.query('select pg_advisory_unlock($1)', [PARTITION_LOCK]).catch(() => {});
      client.release();
    }
  }

  /**
   * Retention: drop whole daily partitions that end before `keepDays` days ago (never row DELETEs). The
   * default partition is never dropped. Returns the dropped partitions' names. With `ledger`, each drop
   * records a signed retention event in its transaction (docs/ledger.md "Retention"); without it,
   * `auditql verify` will report the dropped rows as missing.
   */
  async dropOlderThan(keepDays: number, now = new Date(), ledger: RetentionSigner | null = null): Promise<string[]> {
    const cutoffDay = dayOf(new Date(now.getTime() - keepDays * DAY_MS));
    if (await this.isTimescale()) {
      // the same days as below: every day before the cutoff day, from the managed window's start
      const chunks = await dropChunksBefore(this.pool, PARTITIONED_TABLES, new Date(`${cutoffDay}T00:00:00Z`), new Date(EARLIEST), ledger);
      await forgetDaysBetween(this.pool, dayOf(new Date(EARLIEST)), cutoffDay);
      await forgetTxDaysBetween(this.pool, dayOf(new Date(EARLIEST)), cutoffDay);
      return chunks;
    }
    const r = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE n.nspname = 'auditql' AND p.relname = ANY($1) AND c.relname ~ '_p[0-9]{8}$'`,
      [[...PARTITIONED_TABLES]],
    );
    const dropped: string[] = [];
    const droppedDays: string[] = [];
    const droppedActivityDays: string[] = [];
    for (const { name } of r.rows) {
      const d = name.slice(-8);
      const day = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
      if (day < cutoffDay) {
        const from = new Date(`${day}T00:00:00Z`);
        if (ledger) await dropPartitionRecorded(this.pool, name.startsWith('changes') ? 'changes' : 'activity', name, from, new Date(from.getTime() + DAY_MS), ledger);
        else await this.pool.query(`DROP TABLE auditql.${name}`);
        for (const t of PARTITIONED_TABLES) this.known.delete(`${t}:${day}`);
        dropped.push(name);
        (name.startsWith('changes') ? droppedDays : droppedActivityDays).push(day);
      }
    }
    // The entity locator's rows of those days (entity-locator.ts); reads skip them in the meantime.
    await forgetDays(this.pool, droppedDays);
    // and the transaction locator's (tx-locator.ts)
    await forgetTxDays(this.pool, 'changes', droppedDays);
    await forgetTxDays(this.pool, 'activity', droppedActivityDays);
    return dropped.sort();
  }

  /**
   * Compression (TimescaleDB path only; plain PostgreSQL has none, and this returns []): compress the
   * chunks of days before `afterDays` days ago. Returns the compressed chunks' names.
   */
  async compressOlderThan(afterDays: number, now = new Date()): Promise<string[]> {
    if (!(await this.isTimescale())) return [];
    const cutoffDay = dayOf(new Date(now.getTime() - afterDays * DAY_MS));
    return compressChunksBefore(this.pool, PARTITIONED_TABLES, new Date(`${cutoffDay}T00:00:00Z`));
  }
}
