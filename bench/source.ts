/**
 * `npm run bench:source` (BENCHMARKS.md "bench:source"): what auditql costs the audited database. pgbench's
 * TPC-B-like script (BENCH_SCALE, default 10; BENCH_CLIENTS, default 2; BENCH_SECONDS, default 30) on a
 * source PostgreSQL (a fresh embedded one in a temp dir, `wal_level=logical`), in one run, four ways:
 *   (a) baseline: no capture;
 *   (b) capture: logical decoding of a publication of the four pgbench tables, drained by auditql's capture
 *       — the built CLI's `auditql ingest --from postgres` in a child process — into a warehouse on another
 *       embedded PostgreSQL on the same machine;
 *   (c) capture_ctx: the same with the database-user context trigger (`auditql install-source --db-context`);
 *   (d) row_trigger: no capture; the classic peer, a row-level AFTER trigger on the same tables writing
 *       each row's old and new images as jsonb into an audit table.
 * Every phase starts from a fresh `pgbench -i` and a CHECKPOINT, so each sees the same data. (b) and (c)
 * wait for the capture's slot to be active before pgbench starts (readiness), and after it for the capture
 * to confirm everything pgbench wrote (so the warehouse's work lands inside the measured machine load, and
 * the drain time is printed).
 * The last line is machine-readable:
 *   baseline_tps=<n> capture_tps=<n> capture_ctx_tps=<n> row_trigger_tps=<n> ratio=<capture_ctx_tps / baseline_tps>
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';
import { cli, cliOnce, intEnv, requireBuiltCli, scratchPostgres, until, type ScratchPostgres } from './support.js';

const run = promisify(execFile);
const TABLES = ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history'];
const PUBLICATION = 'bench_source';

const scale = intEnv('BENCH_SCALE', 10);
const clients = intEnv('BENCH_CLIENTS', 2);
const seconds = intEnv('BENCH_SECONDS', 30);

/** pgbench from PATH, else Debian's PostgreSQL 15 (any pgbench drives any server version). */
function pgbenchBinary(): string {
  for (const p of ['/usr/lib/postgresql/17/bin/pgbench', '/usr/lib/postgresql/16/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench']) if (existsSync(p)) return p;
  return 'pgbench';
}
const PGBENCH = pgbenchBinary();

async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

async function pgbenchInit(url: string): Promise<void> {
  await run(PGBENCH, ['-i', '-q', '-s', String(scale), url], { maxBuffer: 16 << 20 });
  await sql(url, 'CHECKPOINT');
}

/** One timed pgbench run; its tps (excluding connection time). */
async function pgbench(url: string): Promise<number> {
  const { stdout } = await run(PGBENCH, ['-n', '-c', String(clients), '-j', String(clients), '-T', String(seconds), url], { maxBuffer: 16 << 20 });
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!m) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return Number(m[1]);
}

interface Phase { readonly tps: number; readonly drainMs?: number }

async function withCapture(src: string, warehouse: string, name: string, context: boolean): Promise<Phase> {
  await pgbenchInit(src);
  await sql(src, `DROP PUBLICATION IF EXISTS ${PUBLICATION}`);
  await sql(src, `CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${TABLES.join(', ')}`);
  // pgbench_history has no key: its rows are inserts only, which need no replica identity.
  if (context) await cliOnce(['install-source', '--source-url', src, '--db-context', '--publication', PUBLICATION], { DATABASE_URL: warehouse });
  const slot = `bench_${name}`;
  const capture = cli(['ingest', '--from', 'postgres', '--source-url', src, '--publication', PUBLICATION, '--slot', slot, '--create-slot', '--source', `bench-${name}`], { DATABASE_URL: warehouse });
  let ended: string | null = null;
  void capture.exited.then((code) => (ended = `the capture exited (${code}): ${capture.stderr()}`));
  try {
    await until('the capture slot', async () => (await sql(src, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rowCount === 1, 120_000, () => ended);
    const tps = await pgbench(src);
    const end = (await sql(src, 'SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn as string;
    const t0 = Date.now();
    await until('the capture draining', async () => (await sql(src, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND confirmed_flush_lsn >= $2::pg_lsn', [slot, end])).rowCount === 1, 600_000, () => ended);
    return { tps, drainMs: Date.now() - t0 };
  } finally {
    if (capture.child.exitCode === null) {
      capture.child.kill('SIGTERM');
      await capture.exited;
    }
    await until('the slot released', async () => (await sql(src, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rowCount === 0, 60_000);
    await sql(src, 'SELECT pg_drop_replication_slot($1)', [slot]);
    if (context) await cliOnce(['install-source', '--source-url', src, '--uninstall'], { DATABASE_URL: warehouse });
  }
}

/** The classic peer: a row trigger writing old and new images as jsonb, in the writing transaction. */
const ROW_TRIGGER_SQL = `
CREATE TABLE IF NOT EXISTS bench_audit (
  id bigserial PRIMARY KEY, table_name text NOT NULL, op text NOT NULL, db_user text NOT NULL,
  tx bigint NOT NULL, at timestamptz NOT NULL DEFAULT now(), old_row jsonb, new_row jsonb);
CREATE OR REPLACE FUNCTION bench_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_audit (table_name, op, db_user, tx, old_row, new_row)
  VALUES (TG_TABLE_NAME, TG_OP, session_user, txid_current(),
          CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END $$;`;

async function withRowTrigger(src: string): Promise<Phase> {
  await pgbenchInit(src);
  await sql(src, ROW_TRIGGER_SQL);
  for (const t of TABLES) await sql(src, `CREATE TRIGGER bench_audit AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION bench_audit_row()`);
  try {
    return { tps: await pgbench(src) };
  } finally {
    for (const t of TABLES) await sql(src, `DROP TRIGGER IF EXISTS bench_audit ON ${t}`);
    await sql(src, 'DROP TABLE IF EXISTS bench_audit');
  }
}

async function main(): Promise<void> {
  requireBuiltCli();
  const { stdout: version } = await run(PGBENCH, ['--version']);
  console.log(`bench:source: pgbench TPC-B, scale ${scale}, ${clients} clients, ${seconds} s per phase (${version.trim()})`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  let source: ScratchPostgres | undefined;
  let warehouse: ScratchPostgres | undefined;
  try {
    source = await scratchPostgres('auditql-bench-source-', ['bench']);
    warehouse = await scratchPostgres('auditql-bench-warehouse-', ['auditql']);
    const src = source.url('bench');
    const wh = warehouse.url('auditql');
    await cliOnce(['migrate'], { DATABASE_URL: wh });
    const ver = (await sql(src, 'SHOW server_version')).rows[0].server_version as string;
    console.log(`source PostgreSQL ${ver}; warehouse on a second embedded PostgreSQL on this machine`);

    const baseline = await (async () => { await pgbenchInit(src); return { tps: await pgbench(src) }; })();
    const line = (name: string, p: Phase) =>
      console.log(`${name.padEnd(12)} tps=${p.tps.toFixed(1).padStart(8)}  ratio=${(p.tps / baseline.tps).toFixed(3)}${p.drainMs !== undefined ? `  (capture drained ${p.drainMs} ms after pgbench ended)` : ''}`);
    line('baseline', baseline);
    const capture = await withCapture(src, wh, 'plain', false);
    line('capture', capture);
    const captureCtx = await withCapture(src, wh, 'ctx', true);
    line('capture_ctx', captureCtx);
    const rowTrigger = await withRowTrigger(src);
    line('row_trigger', rowTrigger);
    console.log(
      `baseline_tps=${baseline.tps.toFixed(1)} capture_tps=${capture.tps.toFixed(1)} capture_ctx_tps=${captureCtx.tps.toFixed(1)} ` +
        `row_trigger_tps=${rowTrigger.tps.toFixed(1)} ratio=${(captureCtx.tps / baseline.tps).toFixed(3)}`,
    );
  } finally {
    await source?.stop();
    await warehouse?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
