/**
 * Named prepared statements (src/warehouse/named-statements.ts) against the real PostgreSQL: an entity's
 * page is prepared once per connection and shows in that session's `pg_prepared_statements`, the number of
 * named shapes is bounded, table-wide pages stay unnamed, and a cached plan survives partitions being
 * dropped and created between two calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { at, mkChange, store } from '../graphql/seed.js';
import { pageChanges, type ChangeQuery } from '../../src/warehouse/queries/change-page.js';
import { entityChangesBackward } from '../../src/warehouse/queries/entity-history.js';
import { bypassLocator } from '../../src/warehouse/queries/located-changes.js';
import { MAX_SHAPES_PER_QUERY, statementName } from '../../src/warehouse/named-statements.js';
import { keyText } from '../../src/model/row-key.js';
import type { Warehouse } from '../../src/warehouse/tables.js';

let w: TestWarehouse;
const DAYS = ['2026-11-01', '2026-11-02', '2026-11-03'];
const entity = { table: 'customers', keyText: keyText({ id: 1 }) };

beforeAll(async () => {
  w = await freshWarehouse();
  // Entity 1 changes three times a day over three days (three daily partitions); entity 2 once a day.
  const events = DAYS.flatMap((d) => [
    ...[0, 1, 2].map((h) => mkChange({ table: 'customers', key: { id: 1 }, before: { id: 1, n: h }, after: { id: 1, n: h + 1 }, committedAt: at(`${d}T1${h}:00:00Z`) })),
    mkChange({ table: 'customers', key: { id: 2 }, before: { id: 2, n: 0 }, after: { id: 2, n: 1 }, committedAt: at(`${d}T12:00:00Z`) }),
  ]);
  await store(w, events);
});
afterAll(async () => {
  await w?.destroy();
});

interface PreparedRow {
  name: string;
  statement: string;
  generic_plans: string;
  custom_plans: string;
}
const prepared = async (conn: Kysely<Warehouse>) =>
  (await sql<PreparedRow>`select name, statement, generic_plans, custom_plans from pg_prepared_statements order by name`.execute(conn)).rows;

// The scan of the partitioned table, which TimescaleDB warehouses use (the locator's own statement is
// named too: test/integration/entity-locator.test.ts).
const page = (conn: Kysely<Warehouse>, q: ChangeQuery = entity, limit = 21) => {
  bypassLocator(conn);
  return pageChanges(conn, q, { limit, after: null, order: 'NEWEST_FIRST' });
};

const days = (rows: readonly { committedAt: Date | null }[]) => rows.map((r) => r.committedAt!.toISOString());

describe('named prepared statements', () => {
  it("prepares an entity's page once per connection and reuses it, generic plan included", async () => {
    await w.db.connection().execute(async (conn) => {
      const first = await page(conn);
      expect(days(first)).toHaveLength(9);
      // 5 custom plans, then PostgreSQL may switch to the generic plan: the answer must not change.
      for (let i = 0; i < 9; i++) expect(days(await page(conn))).toEqual(days(first));
      const rows = await prepared(conn);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.name).toMatch(/^auditql_entity_page_\d+$/);
      expect(statementName(rows[0]!.statement)).toBe(rows[0]!.name);
      expect(Number(rows[0]!.generic_plans) + Number(rows[0]!.custom_plans)).toBe(10);

      // A table-wide page and plain statements stay unnamed.
      expect(await page(conn, { table: 'customers' })).toHaveLength(12);
      expect(await prepared(conn)).toHaveLength(1);

      // entityAt's backward walk is a query of its own.
      bypassLocator(conn);
      const older = await entityChangesBackward(conn, { ...entity }, { atOrBefore: at('2026-11-02T23:00:00Z') }, 4);
      expect(days(older)).toEqual(['2026-11-02T12:00:00.000Z', '2026-11-02T11:00:00.000Z', '2026-11-02T10:00:00.000Z', '2026-11-01T12:00:00.000Z']);
      expect((await prepared(conn)).map((r) => r.name.replace(/\d+$/, ''))).toEqual(['auditql_entity_backward_', 'auditql_entity_page_']);
    });
  });

  it('names at most MAX_SHAPES_PER_QUERY shapes of one query; the others still run, unnamed', async () => {
    // 2^6 = 64 texts of the same query: each optional condition present or not (all of them match every row).
    const optional: ChangeQuery[] = [
      { database: 'shop' }, { schema: 'public' }, { operations: ['INSERT', 'UPDATE'] }, { since: at('2026-01-01T00:00:00Z') },
      { server: 'pg1' }, { format: 'debezium' },
    ];
    expect(2 ** optional.length).toBeGreaterThan(2 * MAX_SHAPES_PER_QUERY);
    await w.db.connection().execute(async (conn) => {
      for (let mask = 0; mask < 2 ** optional.length; mask++) {
        const q = Object.assign({}, entity, ...optional.filter((_, i) => mask & (1 << i))) as ChangeQuery;
        expect(days(await page(conn, q)), `shape ${mask}`).toHaveLength(9);
      }
      const names = (await prepared(conn)).map((r) => r.name).filter((n) => n.startsWith('auditql_entity_page_'));
      expect(names).toHaveLength(MAX_SHAPES_PER_QUERY);
    });
  });

  it('keeps answering right when partitions are dropped and created between two calls', async () => {
    await w.db.connection().execute(async (conn) => {
      // The case to fear is a cached *generic* plan that still lists the dropped partition: force one.
      await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
      for (let i = 0; i < 7; i++) expect(days(await page(conn))).toHaveLength(9);
      const before = await prepared(conn);
      expect(before.filter((r) => r.name.startsWith('auditql_entity_page_') && Number(r.generic_plans) > 0)).not.toHaveLength(0);

      // Retention drops the oldest day (from another connection, as maintenance would).
      await w.pool.query(`drop table auditql.changes_p${DAYS[0]!.replaceAll('-', '')}`);
      const afterDrop = days(await page(conn));
      expect(afterDrop).toHaveLength(6);
      expect(afterDrop.every((d) => !d.startsWith(DAYS[0]!))).toBe(true);

      // The sink creates a partition for a new day and writes into it.
      await store(w, [mkChange({ table: 'customers', key: { id: 1 }, before: { id: 1, n: 3 }, after: { id: 1, n: 4 }, committedAt: at('2026-11-05T09:00:00Z') })]);
      const parts = await w.pool.query(`select 1 from pg_class where relname = 'changes_p20261105'`);
      expect(parts.rowCount).toBe(1);
      const afterCreate = days(await page(conn));
      expect(afterCreate).toEqual(['2026-11-05T09:00:00.000Z', ...afterDrop]);

      // Same statements on the connection, replanned rather than re-prepared.
      expect((await prepared(conn)).map((r) => r.name)).toEqual(before.map((r) => r.name));
      await sql`reset plan_cache_mode`.execute(conn);
    });
  });

  it('prepares the statement on every pooled connection that runs it, and the pool reuses them', async () => {
    const pids = new Set<number>();
    await Promise.all([0, 1, 2].map(() => w.db.connection().execute(async (conn) => {
      expect(days(await page(conn))).toHaveLength(7);
      pids.add((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn)).rows[0]!.pid);
      expect((await prepared(conn)).some((r) => r.name.startsWith('auditql_entity_page_'))).toBe(true);
    })));
    expect(pids.size).toBe(3);
    // Back from the pool, a connection still holds its statement and runs it by name.
    const executions = (rows: PreparedRow[]) => rows
      .filter((r) => r.name.startsWith('auditql_entity_page_'))
      .reduce((n, r) => n + Number(r.generic_plans) + Number(r.custom_plans), 0);
    await w.db.connection().execute(async (conn) => {
      const before = await prepared(conn);
      expect(days(await page(conn))).toHaveLength(7);
      const after = await prepared(conn);
      expect(after.map((r) => r.name)).toEqual(before.map((r) => r.name));
      expect(executions(after)).toBe(executions(before) + 1);
    });
  });
});
