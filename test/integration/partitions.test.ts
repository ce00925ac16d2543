import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { PartitionManager } from '../../src/warehouse/partitions.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w?.destroy(); });

const partitions = async () =>
  (await w.pool.query<{ n: string }>(`select c.relname as n from pg_inherits i join pg_class c on c.oid = i.inhrelid
     join pg_class p on p.oid = i.inhparent where p.relname = 'changes' order by 1`)).rows.map((r) => r.n);

it('creates daily partitions ahead of time and drops whole old ones by retention, never the default', async () => {
  const pm = new PartitionManager(w.pool, 2);
  const now = new Date('2026-11-22T12:00:00Z');
  await pm.createAhead(now);
  await pm.ensure('changes', ['2026-10-01']);
  expect(await partitions()).toEqual([
    'changes_default', 'changes_p20261001', 'changes_p20261121', 'changes_p20261122', 'changes_p20261123', 'changes_p20261124',
  ]);
  await w.pool.query(`insert into auditql.changes (seq, source, position, part_at, format, operation, table_name, key, key_text, key_source, before_complete, changed_fields, committed_at_source)
    values (1, 's', 'old', '2026-10-01T10:00:00Z', 'debezium', 'INSERT', 't', '{}', '[]', 'NONE', true, '{}', 'SOURCE')`);
  expect(await pm.dropOlderThan(30, now)).toEqual(['changes_p20261001']);
  expect(await partitions()).not.toContain('changes_p20261001');
  expect(await partitions()).toContain('changes_default');
  const left = await w.pool.query(`select count(*)::int as n from auditql.changes where position = 'old'`);
  expect(left.rows[0].n).toBe(0);
});
