/**
 * What the benches share: integer knobs from the environment, a throw-away embedded PostgreSQL, the
 * message channel to a worker thread (the API server runs in one so the bench's clients never share its
 * event loop), and the built CLI as a child process with a readiness wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${ROOT}bin/auditql.js`;

/** Throws unless the CLI is built (`npm run build`, which the bench scripts run first). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI) || !existsSync(`${ROOT}dist/src/cli/main.js`)) throw new Error('the built CLI is missing: run `npm run build`');
}

export interface CliChild {
  readonly child: ChildProcess;
  /** Its exit code (null: ended by a signal). */
  readonly exited: Promise<number | null>;
  /** The last 8,000 characters it wrote to stderr. */
  stderr(): string;
}

/** The built CLI (`auditql ARGS…`) as a child process, with text logs; stdout is discarded. */
export function cli(args: string[], env: Record<string, string>): CliChild {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, AUDITQL_LOG_FORMAT: 'text', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, exited, stderr: () => stderr };
}

/** Run the CLI to its end; throws unless it exits 0. */
export async function cliOnce(args: string[], env: Record<string, string>): Promise<void> {
  const c = cli(args, env);
  const code = await c.exited;
  if (code !== 0) throw new Error(`auditql ${args[0]} exited ${code}: ${c.stderr()}`);
}

/** Until `probe` says yes or `what` gives up after `ms` (a readiness probe, as embedded.ts waits for a connection). */
export async function until(what: string, probe: () => Promise<boolean>, ms: number, failed?: () => string | null): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    const why = failed?.();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
