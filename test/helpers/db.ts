/**
 * A fresh, migrated warehouse database per test file, in the PostgreSQL the global setup started (or
 * TEST_DATABASE_URL). Real PostgreSQL, never a mock.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate } from '../../src/warehouse/migrate.js';

export function adminUrl(): string {
  return inject('pgAdminUrl');
}

export function urlForDatabase(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = '/' + name;
  return u.toString();
}

/** Create an empty database and return its URL. */
export async function createDatabase(prefix = 'aq'): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    url: urlForDatabase(name),
    drop: async () => {
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface TestWarehouse extends WarehouseDb {
  /** Drop the database (call in afterAll). */
  destroy(): Promise<void>;
}

export async function freshWarehouse(): Promise<TestWarehouse> {
  const d = await createDatabase();
  const w = openWarehouse(d.url);
  await migrate(w.pool);
  return Object.assign(w, {
    async destroy() {
      await w.close();
      await d.drop();
    },
  });
}
