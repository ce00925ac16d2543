/**
 * What the benches share: integer knobs from the environment, a throw-away embedded PostgreSQL, and the
 * message channel to a worker thread (the API server runs in one so the bench's clients never share its
 * event loop).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { ensureDatabase } from '../src/warehouse/connect.js';
import { startEmbedded, type EmbeddedServer } from '../src/warehouse/embedded.js';

/** A positive integer from the environment (`_` allowed as a separator), or the default. */
export function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
}

export interface ScratchPostgres {
  readonly embedded: EmbeddedServer;
  /** The URL of a database, created (empty) by `scratchPostgres`. */
  url(database: string): string;
  /** Stop the server and delete its data directory. */
  stop(): Promise<void>;
}

/** A fresh embedded PostgreSQL in a temp dir (deleted by `stop`), with these databases created and these server settings. */
export async function scratchPostgres(
  prefix: string, databases: readonly string[], settings?: Readonly<Record<string, string>>,
): Promise<ScratchPostgres> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user and must reach the data directory
  let embedded: EmbeddedServer | undefined;
  const stop = async () => {
    await embedded?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    embedded = await startEmbedded({ dataDir: join(dir, 'pg'), ephemeral: true, ...(settings ? { settings } : {}) });
    for (const d of databases) await ensureDatabase(embedded.url('postgres'), d);
    const e = embedded;
    return { embedded: e, url: (d) => e.url(d), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface WorkerChannel<In, Out> {
  readonly worker: Worker;
  /** The next message from the worker (queued if it came before anyone asked). */
  next(): Promise<Out>;
  /** Send a message and wait for the next one back. */
  ask(m: In): Promise<Out>;
}

/** Messages from a worker in order; failures are logged under `name`. */
export function workerChannel<In, Out>(worker: Worker, name: string): WorkerChannel<In, Out> {
  const inbox: Out[] = [];
  const waiters: ((m: Out) => void)[] = [];
  worker.on('message', (m: Out) => (waiters.length ? waiters.shift()!(m) : inbox.push(m)));
  worker.on('error', (err) => process.stderr.write(`${name} worker failed: ${err.stack ?? String(err)}\n`));
  const next = () => new Promise<Out>((res) => (inbox.length ? res(inbox.shift()!) : waiters.push(res)));
  return {
    worker,
    next,
    ask(m: In) {
      worker.postMessage(m);
      return next();
    },
  };
}
