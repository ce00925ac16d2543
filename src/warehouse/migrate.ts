/**
 * Applies migrations/*.sql in order, each once, each in its own transaction — or, for a file of index
 * builds marked `-- auditql:concurrent-indexes`, outside any (concurrent-indexes.ts) — under an advisory
 * lock so concurrent `serve`/`ingest` processes starting together do not race. See migrations/README.md.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type pg from 'pg';
import { AuditqlError, ErrorCode } from '../errors.js';
import { isConcurrentIndexMigration, runConcurrentIndexes } from './concurrent-indexes.js';
import { MIGRATION_LOCK, takeSessionLock } from './locks.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface MigrateResult {
  readonly applied: string[];
  readonly timescaledb: boolean;
}

export interface MigrateOptions {
  /** Concurrent-indexes migrations: how long a catalog step may wait for a lock before it gives way (ms). */
  readonly lockTimeoutMs?: number;
  /** …and how long to keep retrying such a step before failing, to be resumed by the next run (ms). */
  readonly maxLockWaitMs?: number;
  readonly log?: (line: string) => void;
}

const DEFAULT_LOCK_TIMEOUT_MS = 500;
const DEFAULT_MAX_LOCK_WAIT_MS = 30 * 60_000;

function migrationsDir(): string {
  // compiled: dist/src/warehouse → ../../../migrations; from sources (vitest): src/warehouse → ../../migrations
  try {
    readdirSync(MIGRATIONS_DIR);
    return MIGRATIONS_DIR;
  } catch {
    return fileURLToPath(new URL('../../migrations/', import.meta.url));
  }
}

export function expandPlaceholders(sql: string, timescaledb: boolean): string {
  return sql
    .replace(/^-- \{\{TIMESCALEDB\}\}\n[\s\S]*?^-- \{\{\/TIMESCALEDB\}\}\n/gm, (block) => (timescaledb ? block : ''))
    .replace(/\{\{PARTITION_BY (\w+)\}\}/g, (_m, col: string) => (timescaledb ? '' : `PARTITION BY RANGE (${col})`))
    .replace(/\{\{TIME_PARTITIONED ([\w.]+) (\w+)\}\}/g, (_m, table: string, col: string) =>
      timescaledb
        ? `SELECT create_hypertable('${table}', '${col}', chunk_time_interval => interval '1 day');`
        : `CREATE TABLE ${table}_default PARTITION OF ${table} DEFAULT;`,
    );
}

async function useTimescale(client: pg.PoolClient): Promise<boolean> {
  if (process.env.AUDITQL_TIMESCALEDB === 'off') return false;
  const r = await client.query(`select 1 from pg_available_extensions where name = 'timescaledb'`);
  return r.rowCount === 1;
}

/** Applied migrations, or null when the warehouse has none yet. Needs only read access. */
async function appliedMigrations(client: pg.PoolClient) {
  const exists = await client.query(`select to_regclass('auditql.schema_migrations') is not null as e`);
  if (!exists.rows[0].e) return null;
  const r = await client.query<{ name: string; checksum: string; options: { timescaledb?: boolean } }>(
    'select name, checksum, options from auditql.schema_migrations',
  );
  return new Map(r.rows.map((x) => [x.name, x]));
}

/**
 * Checksums an earlier text of a migration had, still accepted as "this migration": the current text
 * differs from it in SQL comments only (they were reworded to cite docs/). Anything else changed after a
 * migration was applied is refused.
 */
const EARLIER_CHECKSUMS: Readonly<Record<string, readonly string[]>> = {
  '001_warehouse.sql': ['b24f27059e08067ce4749ace6887d8f3247797ceebacb32abc7ff9e991c35734'],
  '003_attribution.sql': ['89f1b2b4ad5c30c6748705b35c3eec36da23ffb264cf026912425d341cc87428'],
  '010_roles.sql': ['74c73dca742fc0d884b66869c7af6561298d8812bc224f26a23012e94ca43419'],
};

const sameMigration = (file: string, stored: string | undefined, checksum: string): boolean =>
  stored === checksum || (stored !== undefined && (EARLIER_CHECKSUMS[file] ?? []).includes(stored));

function migrationFiles(): { file: string; raw: string; checksum: string }[] {
  const dir = migrationsDir();
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const raw = readFileSync(join(dir, file), 'utf8');
      return { file, raw, checksum: createHash('sha256').update(raw).digest('hex') };
    });
}

/** Migrations this build ships that the warehouse has not applied (or has applied with other contents). */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    const applied = await appliedMigrations(client);
    return migrationFiles().filter((f) => applied?.get(f.file)?.checksum !== f.checksum).map((f) => f.file);
  } finally {
    client.release();
  }
}

export async function migrate(pool: pg.Pool, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    // Up to date: no lock, no DDL — so the read-only API role and the insert-only ingest role can start.
    const before = await appliedMigrations(client);
    const files = migrationFiles();
    if (before && files.every((f) => sameMigration(f.file, before.get(f.file)?.checksum, f.checksum))) {
      return { applied: [], timescaledb: Boolean(before.get('001_warehouse.sql')?.options.timescaledb) };
    }
    await takeSessionLock(client, MIGRATION_LOCK);
    await client.query('CREATE SCHEMA IF NOT EXISTS auditql');
    await client.query(`CREATE TABLE IF NOT EXISTS auditql.schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, options jsonb NOT NULL DEFAULT '{}', applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map(
      (await client.query<{ name: string; checksum: string; options: { timescaledb?: boolean } }>(
        'select name, checksum, options from auditql.schema_migrations',
      )).rows.map((r) => [r.name, r]),
    );
    // The partitioning path is chosen once, by the first migration, and kept.
    const first = done.get('001_warehouse.sql');
    const timescaledb = first ? Boolean(first.options.timescaledb) : await useTimescale(client);
    const record = (file: string, checksum: string) => client.query(
      'insert into auditql.schema_migrations (name, checksum, options) values ($1, $2, $3)', [file, checksum, JSON.stringify({ timescaledb })]);
    const applied: string[] = [];
    for (const { file, raw, checksum } of files) {
      const prior = done.get(file);
      if (prior) {
        if (!sameMigration(file, prior.checksum, checksum)) {
          throw new AuditqlError(ErrorCode.BAD_CONFIG, `migration ${file} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      if (isConcurrentIndexMigration(raw)) {
        try {
          await runConcurrentIndexes(client, file, raw, {
            timescaledb,
            lockTimeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
            maxWaitMs: opts.maxLockWaitMs ?? DEFAULT_MAX_LOCK_WAIT_MS,
            log: opts.log && ((line) => opts.log!(`migration ${file}: ${line}`)),
            onRetry: opts.log && ((what, n, ms) => opts.log!(`migration ${file}: ${what} gave way to a lock held by another transaction (attempt ${n}); again in ${ms} ms`)),
          });
        } catch (err) {
          throw new AuditqlError(ErrorCode.INTERNAL, `migration ${file} failed (the next run resumes it): ${(err as Error).message}`, { cause: err });
        }
        await record(file, checksum); // only now: every index it builds is valid, everything it drops is gone
        applied.push(file);
        continue;
      }
      await client.query('BEGIN');
      try {
        if (timescaledb && file === '001_warehouse.sql') await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        await client.query(expandPlaceholders(raw, timescaledb));
        await record(file, checksum);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new AuditqlError(ErrorCode.INTERNAL, `migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(file);
    }
    return { applied, timescaledb };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
