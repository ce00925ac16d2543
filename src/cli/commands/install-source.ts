/**
 * `auditql install-source --source-url URL [--context-prefix P]` installs `auditql.set_actor(actor, context)`
 * on a SOURCE database (src/sources/postgres/set-actor.ts, docs/attribution.md); `--print` writes the SQL to
 * stdout instead, for a DBA to review or run with psql. Idempotent: installing again replaces the function.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { DEFAULT_CONTEXT_PREFIX } from '../../decoders/context.js';
import type { Logger } from '../../log.js';
import { setActorSql } from '../../sources/postgres/set-actor.js';

export interface InstallSourceOptions {
  readonly sourceUrl: string | null;
  readonly contextPrefix: string;
  readonly print: boolean;
}

const bad = (m: string) => new AuditqlError(ErrorCode.BAD_CONFIG, `install-source: ${m}`);

export function parseInstallSourceArgs(argv: readonly string[]): InstallSourceOptions {
  let v;
  try {
    v = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'source-url': { type: 'string' },
        'context-prefix': { type: 'string', default: DEFAULT_CONTEXT_PREFIX },
        print: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw bad((err as Error).message);
  }
  const prefix = v['context-prefix']!;
  if (!/^[\w.:-]{1,100}$/.test(prefix)) throw bad('--context-prefix must be 1-100 characters of letters, digits and ._:-');
  const sourceUrl = v['source-url'] ?? null;
  if (!v.print && sourceUrl === null) throw bad('--source-url is required (or --print to write the SQL to stdout)');
  if (sourceUrl !== null && !/^postgres(ql)?:\/\//.test(sourceUrl)) throw bad('--source-url: expected a postgres:// or postgresql:// URL');
  return Object.freeze({ sourceUrl, contextPrefix: prefix, print: Boolean(v.print) });
}

/** Install the helper on the database at `url`; returns the server's wal_level (messages need `logical`). */
export async function installSetActor(url: string, contextPrefix: string = DEFAULT_CONTEXT_PREFIX): Promise<{ walLevel: string }> {
  const client = new pg.Client({ connectionString: url, application_name: 'auditql-install-source' });
  client.on('error', () => {}); // a lost connection fails the query in progress, which reports it
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(setActorSql(contextPrefix));
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

export async function installSourceCommand(argv: readonly string[], log: Logger): Promise<number> {
  const o = parseInstallSourceArgs(argv);
  if (o.print) {
    process.stdout.write(setActorSql(o.contextPrefix));
    return 0;
  }
  let walLevel: string;
  try {
    ({ walLevel } = await installSetActor(o.sourceUrl!, o.contextPrefix));
  } catch (err) {
    // The source's own words (permission denied, no such database, connection refused), never the URL.
    throw bad(`could not install on the source database: ${(err as Error).message}`);
  }
  log.info(`installed auditql.set_actor(actor text, context jsonb) (context prefix ${JSON.stringify(o.contextPrefix)})`);
  if (walLevel !== 'logical') {
    log.warn(`the source has wal_level = ${walLevel}: set wal_level = logical (and restart) so the capture can read the context messages`);
  }
  return 0;
}
