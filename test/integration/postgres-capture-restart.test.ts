/**
 * Exactly once across crashes: capture stops abruptly mid-stream — in process (the warehouse commits a batch
 * and the process "dies" before acknowledging it, later batches never written), and as the built CLI killed
 * with SIGKILL while the source keeps writing — then restarts; every change is stored exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { probeUntil } from '../helpers/until.js';
import { CHANGES_PER_TX, expectExactlyOnce, ITEMS_SCHEMA, workload } from '../helpers/capture-workload.js';
import { decodeContext } from '../../src/decoders/context.js';
import { pgoutputDecoder } from '../../src/decoders/pgoutput/decoder.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { silentLogger } from '../../src/log.js';
import { startPostgresCapture } from '../../src/cli/commands/ingest-postgres.js';
import { openPostgresSource } from '../../src/sources/postgres/postgres-source.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import type { Batch } from '../../src/contracts/batch.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function setupSource(prefix: string) {
  const src = await createDatabase(prefix);
  const pool = new pg.Pool({ connectionString: src.url, max: 3 });
  await pool.query(ITEMS_SCHEMA);
  return { src, pool };
}

const countChanges = (w: TestWarehouse, source: string) => async () =>
  (await w.pool.query<{ n: number }>('select count(*)::int as n from auditql.changes where source = $1', [source])).rows[0]!.n;

describe('postgres capture restart', () => {
  let w: TestWarehouse;
  beforeAll(async () => { w = await freshWarehouse(); });
  afterAll(async () => { await w?.destroy(); });

  it('resumes from the warehouse checkpoint after dying between a commit and its acknowledgement', async () => {
    const { src, pool } = await setupSource('src_crash');
    try {
      await pool.query(`select pg_create_logical_replication_slot('crash_slot', 'pgoutput')`);
      await workload(pool, 0, 200);

      // First run: the 3rd batch commits in the warehouse, then the process "dies": no acknowledgement, no more batches.
      const source = await openPostgresSource({ url: src.url, publication: 'items_pub', slot: 'crash_slot', log: silentLogger });
      const sink = new WarehouseSink(w.pool);
      let writes = 0;
      const crashing = {
        async write(batch: Batch) {
          writes++;
          if (writes < 3) return sink.write(batch);
          await sink.write(batch);
          throw Object.assign(new Error('simulated crash after commit'), { code: 'XX000' });
        },
      };
      const first = new IngestPipeline({
        sourceName: 'crash', source, decoderFor: () => pgoutputDecoder, ctx: decodeContext(), sink: crashing, batchSize: 37, flushMs: 5,
      });
      await expect(first.run()).rejects.toThrow(/simulated crash/);
      await source.close();
      const stored = await countChanges(w, 'crash')();
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(200 * CHANGES_PER_TX);
      // the slot was never told about the 3rd batch: the warehouse checkpoint is ahead of it
      const cp = (await w.pool.query(`select position from auditql.checkpoints where source = 'crash'`)).rows[0].position as string;
      const slot = (await pool.query(`select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = 'crash_slot'`)).rows[0].lsn as string;
      expect((await pool.query(`select $1::pg_lsn > $2::pg_lsn as ahead`, [cp, slot])).rows[0].ahead).toBe(true);

      await workload(pool, 200, 300);
      const second = await startPostgresCapture({
        pool: w.pool, sourceName: 'crash', sourceUrl: src.url, publication: 'items_pub', slot: 'crash_slot', ctx: decodeContext(), log: silentLogger,
      });
      await probeUntil('all changes', countChanges(w, 'crash'), (n) => n >= 300 * CHANGES_PER_TX);
      await second.stop();
      await expectExactlyOnce(w.pool, 'crash', 300);
    } finally {
      await pool.end();
      await src.drop();
    }
  });

  it('the built CLI, killed with SIGKILL mid-stream three times and restarted, stores every change exactly once; SIGTERM stops it cleanly', async () => {
    const bin = `${ROOT}bin/auditql.js`;
    expect(existsSync(`${ROOT}dist/src/cli/commands/ingest-postgres.js`), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const { src, pool } = await setupSource('src_kill');
    const children: ChildProcess[] = [];
    const run = () => {
      const child = spawn(process.execPath, [bin, 'ingest', '--from', 'postgres', '--source-url', src.url, '--publication', 'items_pub',
        '--slot', 'kill_slot', '--create-slot', '--source', 'cli', '--batch-size', '25'], {
        env: { ...process.env, DATABASE_URL: w.url, AUDITQL_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr += String(d); });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
      children.push(child);
      return { child, exited, stderr: () => stderr };
    };
    try {
      let current = run();
      await probeUntil('the slot', async () => (await pool.query(`select active from pg_replication_slots where slot_name = 'kill_slot'`)).rows[0]?.active as boolean | undefined, (a) => a === true);
      const writing = workload(pool, 0, 500);
      // kill -9 three times at different points of the stream, restarting at once each time
      for (const threshold of [60, 400, 750]) {
        await probeUntil(`${threshold} changes stored`, countChanges(w, 'cli'), (n) => n >= threshold);
        current.child.kill('SIGKILL');
        expect((await current.exited).signal).toBe('SIGKILL');
        expect(await countChanges(w, 'cli')()).toBeLessThan(500 * CHANGES_PER_TX);
        current = run();
      }
      await writing;
      await probeUntil('all changes after the restarts', countChanges(w, 'cli'), (n) => n >= 500 * CHANGES_PER_TX);
      current.child.kill('SIGTERM');
      const end = await current.exited;
      expect(end.code, end.stderr).toBe(0);
      expect(end.stderr).toMatch(/capture stopped/);
      await expectExactlyOnce(w.pool, 'cli', 500);
      const slot = await probeUntil('slot released and confirmed', async () =>
        (await pool.query(`select active, confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = 'kill_slot'`)).rows[0],
      (s) => s.active === false);
      const cp = (await w.pool.query(`select position from auditql.checkpoints where source = 'cli'`)).rows[0].position as string;
      expect(slot.lsn).toBe(cp);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await pool.end();
      await src.drop();
    }
  });
});
