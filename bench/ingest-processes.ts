/**
 * `BENCH_MODE=processes npm run bench:ingest` (bench/README.md "bench:ingest", BENCHMARKS.md "bench:ingest"):
 * ingest processes side by side on different sources into one warehouse, with a live subscriber attached.
 *
 * - One warehouse: DATABASE_URL, or a fresh embedded PostgreSQL in a temp dir. Migrated by `auditql migrate`,
 *   the workload's daily partitions created ahead (as the default mode does), a signing key from `auditql
 *   keygen` (the ledger as shipped: every row a leaf, checkpoints sealed).
 * - Four Debezium workload files of BENCH_EVENTS events each (default 100,000), each of another connector
 *   (`source.name` shop1…shop4), generated once.
 * - The API: `auditql serve` (AUDITQL_AUTH=none) as a child process; one graphql-ws subscriber on
 *   `changeAdded { id source }` (bench/feed-counter.ts), live before any ingest: a one-event warm-up
 *   ingest is repeated until the subscriber has received one (its wall time is printed as what starting an
 *   ingest process costs).
 * - Runs of 1, 2, then 4 processes: `auditql ingest --from file --format debezium --source bench-pK-i FILE_i`,
 *   each its own OS process and its own stream, started together. Wall time = first spawn → last exit
 *   (process start included); events/s = K × BENCH_EVENTS / wall; `vs_1` = that ÷ the one-process run's.
 *   Each source must hold BENCH_EVENTS rows afterwards. Then the subscriber is waited for (on its rows, not
 *   a sleep) until it has every row the warehouse stored for the run's sources, or BENCH_SUBSCRIBER_TIMEOUT_S
 *   (default 120) after the last process exited: then the run says `complete=false`.
 * Each run writes into a warehouse holding the earlier runs' rows. Last line:
 * `processes_1_eps=… processes_2_eps=… processes_4_eps=… scale_2=… scale_4=… subscriber_complete=true|false`
 * (true: every run complete, no row received twice, none out of `seq` order).
 */
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { openWarehouse } from '../src/warehouse/db.js';
import { WarehouseSink } from '../src/warehouse/sink.js';
import { writeDebeziumWorkload } from './debezium-workload.js';
import { feedCounter, type FeedCounter } from './feed-counter.js';
import { cli, cliOnce, intEnv, requireBuiltCli, scratchPostgres, type CliChild, type ScratchPostgres } from './support.js';

const PROCESSES = [1, 2, 4] as const;
const MiB = (n: number) => (n / 2 ** 20).toFixed(0);

interface Run {
  readonly processes: number;
  readonly events: number;
  readonly wallMs: number;
  readonly eps: number;
  readonly received: number;
  readonly stored: number;
  readonly complete: boolean;
  readonly inOrder: boolean;
  readonly duplicates: number;
}

/** `auditql serve` on a free port; resolves with it and its GraphQL URL once its log says where it listens. */
async function startApi(env: Record<string, string>): Promise<{ api: CliChild; url: string }> {
  const api = cli(['serve'], { ...env, AUDITQL_AUTH: 'none', PORT: '0', HOST: '127.0.0.1' });
  const listening = () => /GraphQL API at (http:\/\/\S+\/graphql)/.exec(api.stderr())?.[1];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`auditql serve: not listening within 60 s: ${api.stderr()}`)), 60_000);
    const check = () => {
      const u = listening();
      if (u === undefined) return;
      clearTimeout(timer);
      api.child.stderr!.off('data', check);
      resolve(u);
    };
    api.child.stderr!.on('data', check);
    void api.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`auditql serve exited (${code}): ${api.stderr()}`));
    });
  });
  return { api, url };
}

/** Repeat a one-event ingest (a new source each time) until the subscriber has one of them: it is live. Returns one such ingest's wall ms. */
async function warmUp(sub: FeedCounter, file: string, env: Record<string, string>): Promise<number> {
  const sources: string[] = [];
  for (let k = 0; k < 30; k++) {
    sources.push(`bench-warmup-${k}`);
    const t = performance.now();
    await cliOnce(['ingest', '--from', 'file', '--format', 'debezium', '--source', sources.at(-1)!, file], env);
    const ms = performance.now() - t;
    if (await sub.waitFor(() => sub.received(sources) > 0, 2000)) return ms;
    if (sub.ended) throw new Error(`the subscriber ended: ${sub.ended}`);
  }
  throw new Error('the subscriber received none of 30 warm-up rows');
}

async function storedBySource(pool: Pool, sources: readonly string[]): Promise<Map<string, number>> {
  const r = await pool.query<{ source: string; n: number }>('select source, count(*)::int as n from auditql.changes where source = any($1) group by source', [sources]);
  return new Map(r.rows.map((x) => [x.source, x.n]));
}

export async function ingestProcesses(N: number, batch: number): Promise<void> {
  requireBuiltCli();
  const timeoutMs = intEnv('BENCH_SUBSCRIBER_TIMEOUT_S', 120) * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'auditql-bench-processes-'));
  chmodSync(dir, 0o755);
  let scratch: ScratchPostgres | undefined;
  const children: CliChild[] = [];
  let sub: FeedCounter | undefined;
  try {
    let url = process.env.DATABASE_URL;
    if (!url) {
      scratch = await scratchPostgres('auditql-bench-processes-pg-', ['bench']);
      url = scratch.url('bench');
    }
    const env = { DATABASE_URL: url, AUDITQL_SIGNING_KEY: join(dir, 'ledger.key') };
    await cliOnce(['migrate'], env);
    await cliOnce(['keygen', env.AUDITQL_SIGNING_KEY, '--name', 'bench.auditql.example'], {});
    const w = openWarehouse(url, { max: 2, applicationName: 'auditql-bench' });
    try {
      await new WarehouseSink(w.pool).partitions.createAhead(new Date(1_795_000_000_000));
      const t0 = performance.now();
      const files: string[] = [];
      let bytes = 0;
      for (let i = 1; i <= Math.max(...PROCESSES); i++) {
        files.push(join(dir, `debezium-${i}.jsonl`));
        bytes += await writeDebeziumWorkload(files.at(-1)!, N, `shop${i}`);
      }
      const warmFile = join(dir, 'warmup.jsonl');
      await writeDebeziumWorkload(warmFile, 1, 'warmup');
      console.log(`generated ${files.length} × ${N} Debezium events (${MiB(bytes)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      const started = await startApi(env);
      children.push(started.api);
      sub = feedCounter(started.url);
      const startupMs = await warmUp(sub, warmFile, env);
      console.log(`API: auditql serve at ${started.url}; subscriber live; a one-event ingest process takes ${Math.round(startupMs)} ms wall (start, connect, one batch)`);

      const runs: Run[] = [];
      for (const k of PROCESSES) {
        const sources = Array.from({ length: k }, (_, i) => `bench-p${k}-${i + 1}`);
        const dupBefore = sub.duplicates;
        const orderBefore = sub.outOfOrder;
        const t1 = performance.now();
        const procs = sources.map((source, i) => {
          const c = cli(['ingest', '--from', 'file', '--format', 'debezium', '--source', source, '--batch-size', String(batch), files[i]!], env);
          children.push(c);
          return c.exited.then((code) => {
            if (code !== 0) throw new Error(`auditql ingest --source ${source} exited ${code}: ${c.stderr()}`);
            return performance.now() - t1;
          });
        });
        const each = await Promise.all(procs);
        const wallMs = performance.now() - t1;
        const bySource = await storedBySource(w.pool, sources);
        for (const s of sources) if (bySource.get(s) !== N) throw new Error(`${s}: expected ${N} stored, got ${bySource.get(s) ?? 0}`);
        const stored = k * N;
        const complete = await sub.waitFor(() => sub!.received(sources) >= stored, timeoutMs);
        const afterMs = performance.now() - t1 - wallMs;
        const eps = stored / (wallMs / 1000);
        const r: Run = {
          processes: k, events: stored, wallMs, eps, received: sub.received(sources), stored, complete,
          inOrder: sub.outOfOrder === orderBefore, duplicates: sub.duplicates - dupBefore,
        };
        runs.push(r);
        console.log(
          `processes=${k} events=${stored} wall_ms=${Math.round(wallMs)} events_per_s=${Math.round(eps)} vs_1=${(eps / runs[0]!.eps).toFixed(2)} ` +
            `subscriber_received=${r.received} warehouse_stored=${stored} complete=${complete} in_order=${r.inOrder} duplicates=${r.duplicates} ` +
            `(processes ended ${each.map((x) => Math.round(x)).join(', ')} ms; subscriber ${complete ? `had all ${Math.round(afterMs)} ms after the last` : `INCOMPLETE ${Math.round(afterMs)} ms after the last${sub.ended ? `: ${sub.ended}` : ''}`}; load ${loadavg()[0]!.toFixed(2)})`,
        );
      }
      console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
      const eps = (k: number) => runs.find((r) => r.processes === k)!.eps;
      const ok = runs.every((r) => r.complete && r.inOrder && r.duplicates === 0) && sub.duplicates === 0 && sub.outOfOrder === 0;
      console.log(
        `processes_1_eps=${Math.round(eps(1))} processes_2_eps=${Math.round(eps(2))} processes_4_eps=${Math.round(eps(4))} ` +
          `scale_2=${(eps(2) / eps(1)).toFixed(2)} scale_4=${(eps(4) / eps(1)).toFixed(2)} subscriber_complete=${ok}`,
      );
    } finally {
      await w.close();
    }
  } finally {
    await sub?.close().catch(() => {});
    for (const c of children) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        c.child.kill('SIGTERM');
        await c.exited;
      }
    }
    await scratch?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
