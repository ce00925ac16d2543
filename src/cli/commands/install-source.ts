/**
 * `auditql install-source --source-url URL [--context-prefix P] [--db-context --publication NAME] [--print]`
 * installs `auditql.set_actor(actor, context)` on a SOURCE database (src/sources/postgres/set-actor.ts,
 * docs/attribution.md); with `--db-context`, also the statement-level trigger that names the database user
 * of every transaction on the publication's tables (src/sources/postgres/db-context.ts). `--uninstall`
 * removes the trigger. `--print` writes the SQL to stdout instead, for a DBA to review or run with psql.
 * Idempotent: installing again replaces the functions and triggers.
 */
import { parseArgs } from 'node:util';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { DEFAULT_CONTEXT_PREFIX } from '../../decoders/context.js';
import type { Logger } from '../../log.js';
import { installSetActor, setActorSql } from '../../sources/postgres/set-actor.js';
import { dbContextSql, installDbContext, uninstallDbContext } from '../../sources/postgres/db-context.js';

export interface InstallSourceOptions {
  readonly sourceUrl: string | null;
  readonly contextPrefix: string;
  readonly print: boolean;
  /** `--db-context --publication NAME`: also install the database-user context trigger on its tables. */
  readonly dbContextPublication: string | null;
  readonly uninstall: boolean;
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
        'db-context': { type: 'boolean', default: false },
        publication: { type: 'string' },
        uninstall: { type: 'boolean', default: false },
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
  const publication = v.publication ?? null;
  if (v['db-context'] && publication === null && !v.print) throw bad('--db-context needs --publication NAME: the trigger goes on the tables it publishes');
  if (!v['db-context'] && publication !== null) throw bad('--publication is only used with --db-context');
  if (v.uninstall && (v['db-context'] || v.print)) throw bad('--uninstall takes only --source-url');
  return Object.freeze({
    sourceUrl, contextPrefix: prefix, print: Boolean(v.print),
    dbContextPublication: v['db-context'] ? (publication ?? '') : null, uninstall: Boolean(v.uninstall),
  });
}

export async function installSourceCommand(argv: readonly string[], log: Logger): Promise<number> {
  const o = parseInstallSourceArgs(argv);
  if (o.print) {
    process.stdout.write(setActorSql(o.contextPrefix));
    if (o.dbContextPublication !== null) process.stdout.write('\n' + dbContextSql(o.contextPrefix));
    return 0;
  }
  // The source's own words (permission denied, no such database, connection refused), never the URL.
  const onSourceError = (err: unknown) => bad(`could not change the source database: ${(err as Error).message}`);
  if (o.uninstall) {
    const tables = await uninstallDbContext(o.sourceUrl!).catch((err: unknown) => { throw onSourceError(err); });
    log.info(`removed the database-user context trigger from ${tables} table(s)`);
    return 0;
  }
  let walLevel: string;
  try {
    ({ walLevel } = await installSetActor(o.sourceUrl!, o.contextPrefix));
  } catch (err) {
    throw onSourceError(err);
  }
  log.info(`installed auditql.set_actor(actor text, context jsonb) (context prefix ${JSON.stringify(o.contextPrefix)})`);
  if (o.dbContextPublication !== null) {
    const r = await installDbContext(o.sourceUrl!, o.dbContextPublication, o.contextPrefix).catch((err: unknown) => { throw onSourceError(err); });
    log.info(`installed the database-user context trigger on ${r.tables} table(s) of publication ${JSON.stringify(o.dbContextPublication)}`);
    if (r.tables === 0) log.warn('the publication has no tables yet: run install-source --db-context again after adding tables');
  }
  if (walLevel !== 'logical') {
    log.warn(`the source has wal_level = ${walLevel}: set wal_level = logical (and restart) so the capture can read the context messages`);
  }
  return 0;
}
