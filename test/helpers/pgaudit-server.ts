/**
 * A throw-away PostgreSQL 15 with pgAudit, for tests that need a real audited SOURCE database (Debian's
 * `postgresql-15` + `postgresql-15-pgaudit`; `.ci/run` installs them). The server runs on 127.0.0.1 on a
 * free port with its data, socket and logs in a temporary directory; as root it runs as the `postgres` user
 * (or `nobody`), since PostgreSQL refuses root. `pg_ctl -w` returns once it accepts connections.
 * test/fixtures/pgaudit/CAPTURE.md describes the same setup by hand.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PG15_BIN = process.env.AUDITQL_PG15_BIN ?? '/usr/lib/postgresql/15/bin';
const PGAUDIT_SO = join(PG15_BIN, '..', 'lib', 'pgaudit.so');

/** Why a pgAudit server cannot be started here, or null when it can. */
export function pgauditUnavailable(): string | null {
  if (!existsSync(join(PG15_BIN, 'postgres'))) return `no PostgreSQL 15 server binaries at ${PG15_BIN} (apt-get install postgresql-15)`;
  if (!existsSync(PGAUDIT_SO)) return `no pgaudit.so at ${PGAUDIT_SO} (apt-get install postgresql-15-pgaudit)`;
  return null;
}

export interface PgauditServer {
  readonly port: number;
  /** The csvlog file the server writes (log_destination = csvlog, logging_collector = on). */
  readonly csvLog: string;
  /** A connection URL for `database` as `user` (trust authentication on 127.0.0.1). */
  url(database: string, user?: string): string;
  /** The csvlog's text so far ('' before the collector created it). */
  readLog(): string;
  /** Resolves when the csvlog contains `marker` (polls the file; fails after `timeoutMs`). */
  waitForLog(marker: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PgauditServerOptions {
  /** Extra postgresql.conf settings (values written as given, so quote strings: `"'write, ddl'"`). */
  readonly settings?: Readonly<Record<string, string>>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The non-root account the server runs as when we are root. */
async function serverAccount(): Promise<string | null> {
  if (userInfo().uid !== 0) return null;
  try {
    await run('id', ['-u', 'postgres']);
    return 'postgres';
  } catch {
    return 'nobody';
  }
}

export async function startPgauditServer(o: PgauditServerOptions = {}): Promise<PgauditServer> {
  const why = pgauditUnavailable();
  if (why) throw new Error(why);
  const account = await serverAccount();
  const as = (cmd: string, args: string[]) =>
    account ? run('runuser', ['-u', account, '--', join(PG15_BIN, cmd), ...args]) : run(join(PG15_BIN, cmd), args);

  const dir = mkdtempSync(join(tmpdir(), 'auditql-pgaudit-'));
  chmodSync(dir, 0o755);
  if (account) {
    const { stdout } = await run('id', ['-u', account]);
    const { stdout: gid } = await run('id', ['-g', account]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const logDir = join(dir, 'log');
  const port = await freePort();
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8']);
  const settings: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${dir}'`,
    shared_preload_libraries: "'pgaudit'",
    wal_level: 'logical',
    max_connections: '60',
    logging_collector: 'on',
    log_destination: "'csvlog'",
    log_directory: `'${logDir}'`,
    log_filename: "'audit'",
    log_timezone: "'UTC'",
    timezone: "'UTC'",
    lc_messages: "'C'",
    'pgaudit.log': "'write, ddl'",
    'pgaudit.log_relation': 'on',
    'pgaudit.log_catalog': 'off',
    ...o.settings,
  };
  appendFileSync(join(data, 'postgresql.conf'), '\n' + Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  writeFileSync(join(dir, 'README'), 'auditql test: a throw-away PostgreSQL 15 + pgAudit (test/helpers/pgaudit-server.ts)\n');
  await as('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', join(dir, 'startup.log'), 'start']);

  const csvLog = join(logDir, 'audit.csv');
  const readLog = () => (existsSync(csvLog) ? readFileSync(csvLog, 'utf8') : '');
  let stopped = false;
  return {
    port,
    csvLog,
    url: (database, user = 'postgres') => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    readLog,
    async waitForLog(marker, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!readLog().includes(marker)) {
        if (Date.now() > deadline) throw new Error(`pgAudit server: ${JSON.stringify(marker)} did not reach ${csvLog} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
