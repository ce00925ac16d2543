/**
 * Which warehouse a command talks to: DATABASE_URL, or the embedded default (started, or joined when
 * another auditql process on this machine already runs it). Migrations are applied on the way in.
 */
import { join } from 'node:path';
import pg from 'pg';
import type { EnvConfig } from '../config/env.js';
import { assertReachable, openWarehouse, type WarehouseDb } from './db.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';
import { migrate, type MigrateResult } from './migrate.js';

export const EMBEDDED_DATABASE = 'auditql';

export interface Connected {
  readonly warehouse: WarehouseDb;
  readonly migrated: MigrateResult;
  readonly embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => {}); // a lost connection also fails the query in progress, which is what reports it
  await c.connect();
  try {
    const r = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (r.rowCount === 0) {
      try {
        await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
      }
    }
  } finally {
    await c.end();
  }
}

export async function connectWarehouse(
  env: EnvConfig,
  opts: {
    log?: (m: string) => void;
    poolMax?: number;
    applicationName?: string;
    /** Runs the first contact (reachability and migrations), e.g. retrying it through an outage; default: once. */
    retry?: <T>(op: () => Promise<T>) => Promise<T>;
  } = {},
): Promise<Connected> {
  let embedded: EmbeddedServer | null = null;
  let url = env.databaseUrl;
  if (!url) {
    embedded = await startEmbedded({ dataDir: join(env.dataDir, 'pg'), serverLog: env.demo });
    if (embedded.owned) opts.log?.(`embedded PostgreSQL started on 127.0.0.1:${embedded.port} (data in ${embedded.dataDir})`);
    await ensureDatabase(embedded.url('postgres'), EMBEDDED_DATABASE);
    url = embedded.url(EMBEDDED_DATABASE);
  }
  const warehouse = openWarehouse(url, { max: opts.poolMax, applicationName: opts.applicationName });
  try {
    const retry = opts.retry ?? ((op) => op());
    const migrated = await retry(async () => {
      await assertReachable(warehouse);
      return migrate(warehouse.pool, { log: opts.log });
    });
    return {
      warehouse,
      migrated,
      embedded,
      async close() {
        await warehouse.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await warehouse.close();
    await embedded?.stop();
    throw err;
  }
}
