/** Is the warehouse answering, and is it ours (migrated)? For `GET /healthz`. */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

export async function warehouseHealth(db: Kysely<Warehouse>): Promise<{ readonly migrated: boolean }> {
  const r = await sql<{ migrated: boolean }>`select to_regclass('auditql.changes') is not null as migrated`.execute(db);
  return { migrated: Boolean(r.rows[0]?.migrated) };
}
