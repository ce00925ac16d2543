/**
 * Which read paths a warehouse handle takes (docs/warehouse.md "Reading one entity: the locator", "Range
 * reads", "Reading one transaction: the transaction locator"). Each path reads daily partitions by their
 * days, so it needs plain PostgreSQL's daily partitions (TimescaleDB's chunks have no days to read by), and
 * the locators need their migration applied. Where a path is off, its callers read the partitioned table in
 * one statement, as before the path existed; tests turn a path off on one handle to compare the two answers.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

export type ReadPath = 'entity-locator' | 'day-walk' | 'tx-locator';

/** The migration a path reads the tables of, if any. */
const NEEDS: Readonly<Record<ReadPath, string | null>> = {
  'entity-locator': '042_entity_locator.sql',
  'day-walk': null,
  'tx-locator': '048_tx_locator.sql',
};

interface Probe {
  readonly dailyPartitions: boolean;
  readonly migrations: ReadonlySet<string>;
}

// Per Kysely instance: one probe of the warehouse, and the paths turned off.
const probes = new WeakMap<object, Promise<Probe>>();
const off = new WeakMap<object, Set<ReadPath>>();

function probe(db: Kysely<Warehouse>): Promise<Probe> {
  let p = probes.get(db);
  if (!p) {
    p = sql<{ name: string; timescale: boolean }>`select name, coalesce((options->>'timescaledb')::boolean, false) as "timescale"
        from auditql.schema_migrations`
      .execute(db).then(({ rows }) => {
        const base = rows.find((r) => r.name === '001_warehouse.sql');
        return { dailyPartitions: base !== undefined && !base.timescale, migrations: new Set(rows.map((r) => r.name)) };
      });
    p.catch(() => probes.delete(db));
    probes.set(db, p);
  }
  return p;
}

/** Read this handle's pages the way they were read before `path` existed (one statement over the parent). */
export function bypass(db: Kysely<Warehouse>, path: ReadPath): void {
  const paths = off.get(db) ?? new Set<ReadPath>();
  paths.add(path);
  off.set(db, paths);
}

/** Whether reads through this handle take `path`. */
export async function takes(db: Kysely<Warehouse>, path: ReadPath): Promise<boolean> {
  if (off.get(db)?.has(path)) return false;
  const p = await probe(db);
  const needs = NEEDS[path];
  return p.dailyPartitions && (needs === null || p.migrations.has(needs));
}
