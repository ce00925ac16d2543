/**
 * A source workload for capture tests and its exactly-once check: transaction `id` inserts row `id` into
 * `items` and updates it (two changes); every 10th also carries application context.
 */
import { expect } from 'vitest';
import type pg from 'pg';

export const CHANGES_PER_TX = 2;

/** The `items` table and the `items_pub` publication, on a source database. */
export const ITEMS_SCHEMA = `create table items (id int primary key, v text); create publication items_pub for table items`;

/** Source transactions ids [from, to). */
export async function workload(pool: pg.Pool, from: number, to: number): Promise<void> {
  const c = await pool.connect();
  try {
    for (let id = from; id < to; id++) {
      await c.query('begin');
      if (id % 10 === 0) await c.query(`select pg_logical_emit_message(true, 'auditql', $1)`, [JSON.stringify({ user: `u${id}` })]);
      await c.query('insert into items (id, v) values ($1, $2)', [id, `v${id}`]);
      await c.query(`update items set v = v || '!' where id = $1`, [id]);
      await c.query('commit');
    }
  } finally {
    c.release();
  }
}

/** Every id's INSERT and UPDATE stored exactly once, nothing else, no position twice. */
export async function expectExactlyOnce(warehouse: pg.Pool, source: string, ids: number): Promise<void> {
  const r = await warehouse.query(
    `select (key->>'id')::int as id, operation, count(*)::int as n from auditql.changes_whole where source = $1 group by 1, 2`, [source]);
  expect(r.rows.filter((x) => x.n !== 1)).toEqual([]);
  expect(r.rows.length).toBe(ids * CHANGES_PER_TX);
  const ops = new Map<number, string[]>();
  for (const x of r.rows) ops.set(x.id, [...(ops.get(x.id) ?? []), x.operation].sort());
  for (let id = 0; id < ids; id++) expect(ops.get(id), `id ${id}`).toEqual(['INSERT', 'UPDATE']);
  const dupes = await warehouse.query(`select position from auditql.changes where source = $1 group by 1 having count(*) > 1`, [source]);
  expect(dupes.rows).toEqual([]);
  const ctx = await warehouse.query(`select count(*)::int as n, count(distinct tx_id)::int as tx from auditql.contexts where source = $1`, [source]);
  expect(ctx.rows[0]).toEqual({ n: ids / 10, tx: ids / 10 });
}
