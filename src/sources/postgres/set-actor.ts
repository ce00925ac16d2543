/**
 * `auditql.set_actor(actor, context)`: the SQL helper applications call on a SOURCE database to say who is
 * acting in the current transaction (docs/attribution.md). It sends one transactional logical message with
 * the context prefix — `{"user": actor, …context}` — which the capture (pgoutput, Debezium) turns into a
 * `context` event of that transaction, and attribution into `APP_CONTEXT` evidence for every change of it.
 *
 * Once per transaction, not per row: the message sent is remembered in a transaction-local setting keyed
 * by the transaction id, so calling it again with the same actor and context sends nothing (a different
 * actor sends again, and the conflict shows in the API). No column is added to any audited table.
 *
 * The SQL itself lives in one place, sql/source/set_actor.sql (shipped with the package), written for the
 * default prefix so a DBA can run it with `psql -f` as it is. `auditql install-source` runs it and
 * `--print` prints it, with `--context-prefix` substituted for the default.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { join } from 'node:path';
import { DEFAULT_CONTEXT_PREFIX } from '../../decoders/context.js';
import { packageRoot } from '../../package-root.js';

/** Relative to the package root. */
export const SET_ACTOR_SQL_FILE = 'sql/source/set_actor.sql';

/** A string as a SQL literal (standard_conforming_strings: only quotes need doubling). */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function setActorSql(prefix: string = DEFAULT_CONTEXT_PREFIX): string {
  return sourceSql(SET_ACTOR_SQL_FILE, prefix);
}

/** One of the package's source-side SQL files (sql/source/), with `prefix` put in place of the default prefix. */
export function sourceSql(file: string, prefix: string = DEFAULT_CONTEXT_PREFIX): string {
  const sql = readFileSync(join(packageRoot(), file), 'utf8');
  // The file names the default prefix as the literal 'auditql' exactly where the prefix goes (the message
  // and the comment describing it); its other strings ('auditql.set_actor_sent', …) are not that literal.
  // A function replacement, so a `$` in the prefix is not read as a replacement pattern.
  return sql.replaceAll(literal(DEFAULT_CONTEXT_PREFIX), () => literal(prefix));
}

/** Install the helper on the database at `url`; returns the server's wal_level (messages need `logical`). */
export function installSetActor(url: string, contextPrefix: string = DEFAULT_CONTEXT_PREFIX): Promise<{ walLevel: string }> {
  return onSource(url, (client) => client.query(setActorSql(contextPrefix)).then(() => undefined));
}

/** Run `work` in one transaction on the source at `url`; returns the server's wal_level. */
export async function onSource(url: string, work: (client: pg.Client) => Promise<void>): Promise<{ walLevel: string }> {
  const client = new pg.Client({ connectionString: url, application_name: 'auditql-install-source' });
  client.on('error', () => {}); // a lost connection fails the query in progress, which reports it
  await client.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
    const r = await client.query<{ wal_level: string }>('SHOW wal_level');
    return { walLevel: r.rows[0]!.wal_level };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}
