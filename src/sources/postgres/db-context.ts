/**
 * The database-user context trigger (sql/source/db_context.sql, docs/attribution.md "Who, without
 * pgAudit"): installed on every table of a publication, it writes one transactional logical message per
 * transaction naming the session's database user, which the capture turns into DB_CONTEXT evidence.
 */
import type pg from 'pg';
import { DEFAULT_CONTEXT_PREFIX } from '../../decoders/context.js';
import { onSource, sourceSql } from './set-actor.js';

/** Relative to the package root. */
export const DB_CONTEXT_SQL_FILE = 'sql/source/db_context.sql';

export const dbContextSql = (prefix: string = DEFAULT_CONTEXT_PREFIX): string => sourceSql(DB_CONTEXT_SQL_FILE, prefix);

/** Install the functions and the trigger on the publication's tables; returns how many tables have it. */
export async function installDbContext(url: string, publication: string, prefix: string = DEFAULT_CONTEXT_PREFIX): Promise<{ tables: number; walLevel: string }> {
  let tables = 0;
  const { walLevel } = await onSource(url, async (client: pg.Client) => {
    await client.query(dbContextSql(prefix));
    tables = (await client.query<{ n: number }>('SELECT auditql.install_db_context($1) AS n', [publication])).rows[0]!.n;
  });
  return { tables, walLevel };
}

/** Remove the trigger from every table and the functions; returns how many tables had it. */
export async function uninstallDbContext(url: string): Promise<number> {
  let tables = 0;
  await onSource(url, async (client: pg.Client) => {
    const has = await client.query(`SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'auditql' AND p.proname = 'uninstall_db_context'`);
    if (!has.rowCount) return;
    tables = (await client.query<{ n: number }>('SELECT auditql.uninstall_db_context() AS n')).rows[0]!.n;
    await client.query('DROP FUNCTION IF EXISTS auditql.install_db_context(text), auditql.uninstall_db_context(), auditql.send_db_context()');
  });
  return tables;
}
