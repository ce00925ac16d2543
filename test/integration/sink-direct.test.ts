/**
 * The sink's direct write (src/warehouse/direct-write.ts) against a real PostgreSQL: stored keys and
 * in-batch repeats are dropped before the COPY, seqs follow batch and commit order with concurrent sinks,
 * and a writer that ignores FEED_LOCK sends the kind through the staging fallback instead of failing it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { FEED_CHANNEL, WarehouseSink } from '../../src/warehouse/sink.js';
import type { Batch } from '../../src/contracts/batch.js';
import { change, context, type AuditEvent, type ChangeEvent, type ContextEvent } from '../../src/model/events.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w.destroy(); });

const DAY = new Date('2026-11-20T10:00:00Z');

const mk = (position: string, id: number, committedAt: Date | null = DAY): ChangeEvent =>
  change({
    format: 'debezium', position, operation: 'UPDATE', database: 'shop', schema: 'public', table: 'customers',
    key: { id }, keySource: 'RECORD_KEY', before: { id, email: 'a@x' }, after: { id, email: 'b@x' },
    beforeComplete: true, unknownBefore: [], unknownAfter: [], changedFields: ['email'], txId: '42', txOrder: 1,
    committedAt, committedAtSource: committedAt ? 'SOURCE' : 'UNKNOWN',
    origin: { server: 'pg1', connection: null, user: null }, extra: {},
  });

const ctx = (position: string, user: string): ContextEvent =>
  context({ format: 'pgoutput', position, txId: '42', server: 'pg1', prefix: 'auditql', transactional: true, content: { user }, appUser: user, occurredAt: DAY });

const batch = (source: string, events: AuditEvent[]): Batch => ({ source, events, deadLetters: [], checkpoints: [] });

async function stored(source: string): Promise<{ position: string; seq: string; id: string }[]> {
  // `order by c.seq`: a bare `seq` would sort by the text output column
  const r = await w.pool.query(`select c.position, c.seq::text as seq, c.key->>'id' as id from auditql.changes_whole c where c.source = $1 order by c.seq`, [source]);
  return r.rows;
}

/** Ascending as numbers, no repeats. */
const strictlyIncreasing = (seqs: readonly string[]) => seqs.every((s, i) => i === 0 || BigInt(s) > BigInt(seqs[i - 1]!));

/** Whether the session of a one-connection pool has created a staging table (only the fallback does). */
async function staged(pool: pg.Pool): Promise<boolean> {
  const r = await pool.query(`select to_regclass('pg_temp.auditql_stage_change') is not null as staged`);
  return r.rows[0].staged;
}

describe('WarehouseSink direct write', () => {
  it('stores only keys not stored yet, the first of in-batch repeats, with seqs in batch order, and never stages', async () => {
    const pool = new pg.Pool({ connectionString: w.url, max: 1 });
    try {
      const sink = new WarehouseSink(pool);
      await sink.write(batch('mix', [mk('p1', 1), mk('p3', 3), ctx('c1', 'alice')]));
      const r = await sink.write(batch('mix', [
        mk('p1', 1), mk('p2', 2), mk('p3', 3), mk('p4', 4), mk('p2', 99), mk('p5', 5), mk('p4', 98),
        ctx('c1', 'alice'), ctx('c2', 'bob'), ctx('c2', 'carol'),
      ]));
      expect(r).toMatchObject({ stored: 4, duplicates: 6 });
      expect(r.seqs.change).toHaveLength(3);
      expect(r.seqs.context).toHaveLength(1);
      expect(strictlyIncreasing([...r.seqs.change, ...r.seqs.context])).toBe(true);

      const rows = await stored('mix');
      expect(rows.map((x) => [x.position, x.id])).toEqual([['p1', '1'], ['p3', '3'], ['p2', '2'], ['p4', '4'], ['p5', '5']]);
      expect(rows.slice(2).map((x) => x.seq)).toEqual(r.seqs.change);
      const c = await w.pool.query(`select c.position, c.app_user, c.seq::text as seq from auditql.contexts c where c.source = 'mix' order by c.seq`);
      expect(c.rows.map((x) => [x.position, x.app_user])).toEqual([['c1', 'alice'], ['c2', 'bob']]);
      expect(c.rows[1].seq).toBe(r.seqs.context[0]);
      expect(await staged(pool)).toBe(false);
    } finally {
      await pool.end();
    }
  });

  it('re-ingesting a batch stores nothing, returns no seqs and sends no notification', async () => {
    const pool = new pg.Pool({ connectionString: w.url, max: 1 });
    const sink = new WarehouseSink(pool);
    const events = [mk('r1', 1), mk('r2', 2, null), mk('r3', 3), ctx('rc1', 'alice')];
    const first = await sink.write(batch('again', events));
    expect(first).toMatchObject({ stored: 4, duplicates: 0 });
    const feed = await listenToFeed();
    try {
      const again = await sink.write(batch('again', events));
      expect(again).toMatchObject({ stored: 0, duplicates: 4, seqs: { change: [], activity: [], context: [] } });
      expect(await feed.received()).toEqual([]);
      expect(await staged(pool)).toBe(false);
    } finally {
      await feed.end();
      await pool.end();
    }
    expect((await stored('again')).map((x) => x.position)).toEqual(['r1', 'r2', 'r3']);
  });

  it('two sinks writing overlapping batches at once: each position once, duplicates counted, seqs increasing in commit order', async () => {
    const feed = await listenToFeed();
    try {
      for (let round = 0; round < 4; round++) {
        const source = `both-${round}`;
        const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => mk(`x${from + i}`, from + i));
        const a = [...range(0, 1500), ...range(0, 10)]; // 10 in-batch repeats
        const b = range(1000, 2500); // 500 overlap with a
        const [ra, rb] = await Promise.all([new WarehouseSink(w.pool).write(batch(source, a)), new WarehouseSink(w.pool).write(batch(source, b))]);
        const commits = await feed.received();

        const rows = await stored(source);
        expect(rows).toHaveLength(2500);
        expect(new Set(rows.map((x) => x.position)).size).toBe(2500);
        expect(ra.stored + rb.stored).toBe(2500);
        expect(ra.duplicates + rb.duplicates).toBe(510);
        expect(ra.stored + ra.duplicates).toBe(a.length);
        expect(rb.stored + rb.duplicates).toBe(b.length);
        expect(strictlyIncreasing(ra.seqs.change) && strictlyIncreasing(rb.seqs.change)).toBe(true);
        // the row table holds exactly the seqs the sinks returned
        expect(rows.map((x) => x.seq).sort()).toEqual([...ra.seqs.change, ...rb.seqs.change].sort());

        // commit order = notification order; the first committer's seqs are all below the second's
        expect(commits).toHaveLength(2);
        const [first, second] = commits[0] === ra.seqs.change.at(-1) ? [ra, rb] : [rb, ra];
        expect(commits).toEqual([first.seqs.change.at(-1), second.seqs.change.at(-1)]);
        expect(BigInt(first.seqs.change.at(-1)!)).toBeLessThan(BigInt(second.seqs.change[0]!));
      }
    } finally {
      await feed.end();
    }
  });

  it('falls back to the staging write when a writer that ignores FEED_LOCK inserts a key between probe and COPY', async () => {
    const pool = new pg.Pool({ connectionString: w.url, max: 1 });
    const rogue = new pg.Client({ connectionString: w.url });
    await rogue.connect();
    try {
      const sink = new WarehouseSink(pool);
      await sink.partitions.ensure('changes', ['2026-11-20']);
      // The rogue inserts race-2 without the lock and keeps its transaction open: the sink's probe cannot see
      // it, so the sink COPYs race-2 too, and the unique index makes that COPY wait for the rogue.
      await rogue.query('BEGIN');
      await rogue.query(
        `insert into auditql.changes (seq, source, position, part_at, format, operation, table_name, key, key_text, key_source, before_complete, changed_fields, committed_at_source)
         values (nextval('auditql.feed_seq'), 'race', 'race-2', $1, 'manual', 'UPDATE', 'customers', '{"id": 777}', '777', 'RECORD_KEY', true, '{}', 'SOURCE')`,
        [DAY],
      );
      const writing = sink.write(batch('race', [mk('race-1', 1), mk('race-2', 2), mk('race-3', 3)]));
      await waitUntilBlockedBy(rogue);
      await rogue.query('COMMIT'); // the sink's COPY now fails with a unique violation

      const r = await writing;
      expect(r).toMatchObject({ stored: 2, duplicates: 1 });
      expect(strictlyIncreasing(r.seqs.change)).toBe(true);
      const rows = await stored('race');
      expect(rows.map((x) => [x.position, x.id]).sort()).toEqual([['race-1', '1'], ['race-2', '777'], ['race-3', '3']]);
      expect(rows.filter((x) => x.position !== 'race-2').map((x) => x.seq)).toEqual(r.seqs.change);
      expect(await staged(pool)).toBe(true);

      // the connection is fine afterwards, and the next batch goes the direct way again
      const next = await sink.write(batch('race', [mk('race-3', 3), mk('race-4', 4)]));
      expect(next).toMatchObject({ stored: 1, duplicates: 1 });
    } finally {
      await rogue.end();
      await pool.end();
    }
  });
});

/** The sink's feed notifications (max seq per commit, in commit order). */
async function listenToFeed(): Promise<{ received(): Promise<string[]>; end(): Promise<void> }> {
  const listener = new pg.Client({ connectionString: w.url });
  await listener.connect();
  let payloads: string[] = [];
  listener.on('notification', (n) => payloads.push(n.payload ?? ''));
  await listener.query(`LISTEN ${FEED_CHANNEL}`);
  return {
    /** What arrived since the last call. A round trip first: a notification committed before it arrives before its reply. */
    async received() {
      await listener.query('select 1');
      const got = payloads;
      payloads = [];
      return got;
    },
    end: () => listener.end(),
  };
}

/** Readiness, not sleep: poll until some backend waits on a lock the rogue connection holds. */
async function waitUntilBlockedBy(rogue: pg.Client): Promise<void> {
  const pid = (rogue as unknown as { processID: number }).processID;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await w.pool.query(`select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))`, [pid]);
    if (r.rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error('the sink never waited for the rogue writer');
    await new Promise((res) => setTimeout(res, 10));
  }
}
