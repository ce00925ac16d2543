/** Connections to the warehouse: one pg Pool per process, and a Kysely over it for typed reads. */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { AuditqlError, ErrorCode } from '../errors.js';
import { namingPool } from './named-statements.js';
import type { Warehouse } from './tables.js';

// int8 (bigint) as string, never a lossy number; timestamptz as Date (ms) — see docs/warehouse.md.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => v);

export interface WarehouseDb {
  readonly pool: pg.Pool;
  readonly db: Kysely<Warehouse>;
  readonly url: string;
  close(): Promise<void>;
}

export function openWarehouse(url: string, opts: { max?: number; applicationName?: string } = {}): WarehouseDb {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'auditql',
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', () => {
    // an idle client lost its connection; the pool replaces it on next use
  });
  // A client checked out when its connection dies (the server restarted) emits 'error' too, and an
  // unhandled 'error' would end the process: the query in progress fails with it, and that is what reports it.
  pool.on('connect', (client) => client.on('error', () => {}));
  // Hot reads opted in with `executeNamed` run as named prepared statements (named-statements.ts).
  const db = new Kysely<Warehouse>({ dialect: new PostgresDialect({ pool: namingPool(pool) }) });
  let closed = false;
  return {
    pool,
    db,
    url,
    async close() {
      if (closed) return;
      closed = true;
      // Kysely ends the pool only if it ran a query itself; migrate and the sink use the pool directly.
      await db.destroy();
      if (!pool.ended) await pool.end();
    },
  };
}

/** Fail fast with a message that names the server but never the password. */
export async function assertReachable(w: WarehouseDb): Promise<void> {
  try {
    await w.pool.query('select 1');
  } catch (err) {
    throw new AuditqlError(
      ErrorCode.WAREHOUSE_UNAVAILABLE,
      `cannot reach the warehouse at ${redactUrl(w.url)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}
