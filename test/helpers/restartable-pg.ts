/**
 * A PostgreSQL of a test's own, which the test may crash and restart (`pg_ctl restart -m immediate`): the
 * shared server of the global setup must never be restarted, other test files use it. Started with the
 * embedded default's own code (src/warehouse/embedded.ts) on a throw-away data directory; as root the
 * server and pg_ctl run as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmbedded, type EmbeddedServer } from '../../src/warehouse/embedded.js';
import { reachableBinaries, serverUser } from '../../src/warehouse/pg-binaries.js';

export interface RestartablePg {
  readonly url: (database?: string) => string;
  /** Crash the server (`-m immediate`: no checkpoint, every connection cut) and start it again; resolves when it is up. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function restartablePg(): Promise<RestartablePg> {
  const dir = mkdtempSync(join(tmpdir(), 'auditql-restartable-'));
  chmodSync(dir, 0o755);
  const user = serverUser();
  const bin = await reachableBinaries(user);
  let server: EmbeddedServer;
  try {
    server = await startEmbedded({ dataDir: join(dir, 'data'), ephemeral: true });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const dataDir = server.dataDir;
  const pgCtl = (...args: string[]) =>
    promisify(execFile)(bin.pgCtl, [...args, '-D', dataDir], { ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_MESSAGES: 'C' } });
  return {
    url: server.url,
    async restart() {
      // -l: the new postmaster must not hold pg_ctl's stdout open; -w: return once it accepts connections
      await pgCtl('restart', '-m', 'immediate', '-w', '-t', '120', '-l', join(dataDir, 'restart.log'));
    },
    async stop() {
      // after a restart the server is pg_ctl's child, not ours: stop it the same way
      if (existsSync(join(dataDir, 'postmaster.pid'))) await pgCtl('stop', '-m', 'fast', '-w').catch(() => {});
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
