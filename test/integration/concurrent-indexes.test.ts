/**
 * The migration runner's concurrent-indexes mode (migrations/README.md "Index builds that do not block
 * ingest") and migration 049, on a warehouse holding rows in several daily partitions and the default one.
 * Each test first puts the warehouse back as it was before 049: `activity_session` as 001 made it, no
 * partial index, 049 not recorded.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import { createDatabase } from '../helpers/db.js';
import { until } from '../helpers/until.js';
import { loadEnv } from '../../src/config/env.js';
import { parseIngestArgs } from '../../src/cli/commands/ingest-options.js';
import { ingestFileCommand } from '../../src/cli/commands/ingest-file.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate, pendingMigrations } from '../../src/warehouse/migrate.js';
import { CONCURRENT_INDEXES_DIRECTIVE, runConcurrentIndexes } from '../../src/warehouse/concurrent-indexes.js';
import { PartitionManager } from '../../src/warehouse/partitions.js';
import { settleSessionEvidence } from '../../src/warehouse/attribution/session-evidence.js';
import type { BatchScope } from '../../src/warehouse/attribution/scope.js';
import { pageActivity, type ActivityQuery } from '../../src/warehouse/queries/activity-page.js';
import type { Warehouse } from '../../src/warehouse/tables.js';
import type { Logger } from '../../src/log.js';

const FILE = '049_activity_session_partial.sql';
const FIXTURES = new URL('../fixtures/attribution/', import.meta.url).pathname;
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const DAYS = ['2026-11-20', '2026-11-21', '2026-11-22'];

let w: WarehouseDb;
let drop: () => Promise<void>;

beforeAll(async () => {
  const d = await createDatabase('cidx');
  drop = d.drop;
  // A real MySQL workload seen by its activity stream (sessionId) and by Debezium (source.thread), so
  // that ACTIVITY_SESSION has something to find (test/fixtures/attribution/README.md).
  const env = loadEnv({ DATABASE_URL: d.url, AUDITQL_LOG_LEVEL: 'warn' });
  for (const [format, file, source] of [['das', 'aurora-mysql-das.jsonl', 'aurora-das'], ['debezium', 'mysql-debezium.jsonl', 'debezium']]) {
    const o = parseIngestArgs(['--from', 'file', '--format', format!, '--source', source!, '--server', 'orders-aurora',
      '--key', 'shop.orders=order_id', '--key', 'shop.customers=customer_id', FIXTURES + file]);
    expect(await ingestFileCommand(env, o, quiet)).toBe(0);
  }
  w = openWarehouse(d.url);
  await new PartitionManager(w.pool).ensure('activity', DAYS);
  // More days, and the default partition (unknown time: the epoch; and a day before the managed window);
  // half the rows without a session, as sources that write none leave them.
  await w.pool.query(`insert into auditql.activity (seq, source, position, part_at, occurred_at, format, class, db_user, server, session_id)
    select auditql.next_seq(), 'seed', 'p' || g, t, nullif(t, 'epoch'), 'das', 'WRITE', 'u' || (g % 50), 'srv' || (g % 3),
           case when g % 2 = 0 then 's' || (g % 400) end
      from generate_series(1, 24000) g,
           lateral (select (array['2026-11-20T08:00Z', '2026-11-21T09:00Z', '2026-11-22T10:00Z', 'epoch', '1985-03-01T00:00Z'])[1 + g % 5]::timestamptz
                           + (g % 3600) * interval '1 second' as t) x`);
  await w.pool.query('analyze auditql.activity');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await drop?.();
});

/** The warehouse as it was before 049. */
async function before049(): Promise<void> {
  await w.pool.query('DROP INDEX IF EXISTS auditql.activity_session_partial');
  await w.pool.query('CREATE INDEX IF NOT EXISTS activity_session ON auditql.activity (server, session_id, part_at)');
  await w.pool.query('DELETE FROM auditql.schema_migrations WHERE name = $1', [FILE]);
}

interface PartitionIndex { partition: string; index: string | null; valid: boolean | null; predicate: string | null }

/** Each partition of activity with the index attached to `parent` there (null: none). */
async function perPartition(parent: string): Promise<PartitionIndex[]> {
  const r = await w.pool.query<PartitionIndex>(
    `select c.relname as partition, ci.relname as index, x.indisvalid as valid, pg_get_expr(x.indpred, x.indrelid) as predicate
       from pg_inherits i join pg_class c on c.oid = i.inhrelid
       left join (pg_inherits ii join pg_index x on x.indexrelid = ii.inhrelid join pg_class ci on ci.oid = x.indexrelid)
         on ii.inhparent = to_regclass($1) and x.indrelid = c.oid
      where i.inhparent = 'auditql.activity'::regclass order by 1`, [parent]);
  return r.rows;
}

const parentValid = async (name: string): Promise<boolean | null> =>
  (await w.pool.query<{ v: boolean }>('select indisvalid as v from pg_index where indexrelid = to_regclass($1)', [name])).rows[0]?.v ?? null;

function expectOnEveryPartition(rows: PartitionIndex[]): void {
  expect(rows.length).toBeGreaterThanOrEqual(5); // the fixture's day, three more, the default
  expect(rows.map((r) => r.partition)).toContain('activity_default');
  for (const r of rows) expect(r, r.partition).toMatchObject({ valid: true, predicate: '(session_id IS NOT NULL)' });
}

// --- the two reads that use the index, captured as they run, to be run again and EXPLAINed -----------

const EVERYTHING: BatchScope = {
  change: { seqs: [], min: '1', max: '9223372036854775807' }, activity: { seqs: [], min: '1', max: '9223372036854775807' },
  context: [], newFirst: '-infinity', newLast: 'infinity', txLo: '-infinity', txHi: 'infinity', sessionLo: '-infinity', sessionHi: 'infinity',
};

/** ACTIVITY_SESSION's statement, for a scope of every row (settleSessionEvidence runs it on this stand-in client only to hand it over). */
async function sessionEvidenceStatement(): Promise<{ text: string; values: unknown[] }> {
  let captured: { text: string; values: unknown[] } | undefined;
  const capture = { query: async (q: { text: string; values: unknown[] }) => { captured = q; return { rowCount: 0 }; } };
  await settleSessionEvidence(capture as unknown as pg.PoolClient, EVERYTHING);
  return captured!;
}

/** What the rule would attribute from scratch: run with its own ACTIVITY_SESSION rows removed, rolled back. */
async function sessionEvidenceAnswer(): Promise<unknown[]> {
  const q = await sessionEvidenceStatement();
  const c = await w.pool.connect();
  try {
    await c.query('BEGIN');
    await c.query(`delete from auditql.attributions where evidence = 'ACTIVITY_SESSION'`);
    const r = await c.query(`${q.text} RETURNING change_seq, activity_seq, db_user, remote_host, detail`, q.values);
    return r.rows.sort((a, b) => Number(a.change_seq) - Number(b.change_seq) || Number(a.activity_seq) - Number(b.activity_seq));
  } finally {
    await c.query('ROLLBACK');
    c.release();
  }
}

const PAGE_FILTERS: ActivityQuery[] = [
  { sessionId: '726571', server: 'orders-aurora' }, { sessionId: 's42', server: 'srv0' }, { sessionId: 's42' },
];

/** `activity` pages filtered by session, both orders, with the statements they ran. */
async function sessionPages(): Promise<{ rows: unknown[]; statements: CompiledQuery[] }> {
  const statements: CompiledQuery[] = [];
  const db = new Kysely<Warehouse>({ dialect: new PostgresDialect({ pool: w.pool }), log: (e) => { if (e.level === 'query') statements.push(e.query); } });
  const rows: unknown[] = [];
  for (const q of PAGE_FILTERS) {
    for (const order of ['NEWEST_FIRST', 'FEED_ORDER'] as const) rows.push(await pageActivity(db, q, { limit: 51, after: null, order }));
  }
  return { rows, statements };
}

/** The plan of each statement, the partition indexes of `parent` written as `<parent>`. */
async function plans(statements: { text: string; values: readonly unknown[] }[], parent: string): Promise<string[]> {
  const children = (await perPartition(`auditql.${parent}`)).map((r) => r.index).filter((n): n is string => n !== null);
  const out: string[] = [];
  for (const s of statements) {
    const r = await w.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${s.text}`, [...s.values]);
    let plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
    for (const c of children) plan = plan.replace(new RegExp(`\\b${c}\\b`, 'g'), '<session index>');
    out.push(plan);
  }
  return out;
}

/** Fails (instead of hanging) when `p` does not settle in `ms`: a bound, not a synchronisation. */
const within = <T>(ms: number, what: string, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);

const compiled = (qs: CompiledQuery[]) => qs.map((q) => ({ text: q.sql, values: q.parameters }));

describe('049_activity_session_partial.sql (concurrent-indexes mode)', () => {
  it('leaves a valid partial index on every partition and none of the old one; the session reads answer the same, through it', async () => {
    await before049();
    expect(await pendingMigrations(w.pool)).toEqual([FILE]);
    const evidenceBefore = await sessionEvidenceAnswer();
    const pagesBefore = await sessionPages();
    const evidenceStatement = await sessionEvidenceStatement();
    const plansBefore = await plans([evidenceStatement, ...compiled(pagesBefore.statements)], 'activity_session');
    expect(evidenceBefore.length).toBeGreaterThan(0);

    expect(await migrate(w.pool, { lockTimeoutMs: 100 })).toMatchObject({ applied: [FILE] });

    expectOnEveryPartition(await perPartition('auditql.activity_session_partial'));
    expect(await parentValid('auditql.activity_session_partial')).toBe(true);
    expect(await parentValid('auditql.activity_session')).toBeNull();
    expect((await perPartition('auditql.activity_session')).every((r) => r.index === null)).toBe(true);
    expect(await pendingMigrations(w.pool)).toEqual([]);
    expect(await migrate(w.pool)).toMatchObject({ applied: [] });

    await w.pool.query('analyze auditql.activity');
    expect(await sessionEvidenceAnswer()).toEqual(evidenceBefore);
    const pagesAfter = await sessionPages();
    expect(pagesAfter.rows).toEqual(pagesBefore.rows);
    // Each read scans the new index wherever it scanned the old one (and, smaller, it replaces some
    // sequential scans too); the session-evidence probes use it on every partition.
    const plansAfter = await plans([evidenceStatement, ...compiled(pagesAfter.statements)], 'activity_session_partial');
    // Compared part by part (each CTE of the session-evidence statement, each page's statement).
    const parts = (ps: string[]) => ps.flatMap((p) => p.split(/^(?=  CTE )/m));
    const uses = (part: string) => part.split('<session index>').length - 1;
    const [before, after] = [parts(plansBefore), parts(plansAfter)];
    expect(after.length).toBe(before.length);
    after.forEach((part, i) => expect(uses(part), `${before[i]}\n--- now:\n${part}`).toBeGreaterThanOrEqual(uses(before[i]!)));
    expect(uses(plansBefore.join('\n'))).toBeGreaterThan(0);
    const cte = (name: string) => after.find((p) => p.startsWith(`  CTE ${name}\n`))!;
    expect(uses(cte('active_server'))).toBeGreaterThan(0); // which servers have sessions in the period
    expect(cte('pair')).toMatch(/Index Scan using <session index> on activity_p\d{8}/); // the probe per change
    if (process.env.AUDITQL_PRINT_PLANS) console.log(plansBefore.map((p, i) => `--- before\n${p}\n--- after\n${plansAfter[i]}`).join('\n'));
  });
});

describe('concurrent-indexes runner', () => {
  it('does not make ingest wait behind an open writer: a second writer commits while the first holds the migration back', async () => {
    await before049();
    const today = `${DAYS[1]}T12:00:00Z`;
    const insert = (c: pg.PoolClient, pos: string) => c.query(
      `insert into auditql.activity (seq, source, position, part_at, occurred_at, format, class, session_id, server)
       values (auditql.next_seq(), 'writers', $1, $2, $2, 'das', 'WRITE', 's1', 'srv0')`, [pos, today]);
    const a = await w.pool.connect();
    const b = await w.pool.connect();
    try {
      await a.query('BEGIN');
      await insert(a, 'A');
      const aPid = (await a.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

      let finished = false;
      const migration = migrate(w.pool, { lockTimeoutMs: 100 }).finally(() => { finished = true; });
      migration.catch(() => {});
      // The migrator is waiting for a lock that writer A holds (it gives way every 100 ms and tries again).
      await until('the migration waiting behind writer A', async () => (await w.pool.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'
            and query ilike '%activity_session_partial%' and $1 = any(pg_blocking_pids(pid))`, [aPid])).rowCount === 1);

      // A transactional CREATE INDEX would keep B queued behind it here until A ends.
      await within(10_000, 'writer B', (async () => {
        await b.query('BEGIN');
        await insert(b, 'B');
        await b.query('COMMIT');
      })());
      expect(finished).toBe(false);
      expect((await w.pool.query(`select count(*)::int as n from auditql.activity where source = 'writers'`)).rows[0].n).toBe(1);

      await a.query('COMMIT');
      expect(await migration).toMatchObject({ applied: [FILE] });
      expectOnEveryPartition(await perPartition('auditql.activity_session_partial'));
    } finally {
      await a.query('ROLLBACK').catch(() => {});
      a.release();
      b.release();
    }
  });

  it('resumes after a build was cancelled: the INVALID index it left is dropped and built again; new partitions get the index cloned', async () => {
    await before049();
    // The parent index as a first run leaves it (invalid until every partition's index is attached).
    await w.pool.query(`CREATE INDEX activity_session_partial ON ONLY auditql.activity (server, session_id, part_at) WHERE session_id IS NOT NULL`);
    // A writer holds today's partition, so the concurrent build there waits for it — and is cancelled.
    const writer = await w.pool.connect();
    const child = `activity_p${DAYS[1]!.replaceAll('-', '')}_activity_session_partial`;
    try {
      await writer.query('BEGIN');
      await writer.query(`insert into auditql.activity (seq, source, position, part_at, format, class) values (auditql.next_seq(), 'writers', 'C', $1, 'das', 'READ')`, [`${DAYS[1]}T13:00:00Z`]);
      const migration = migrate(w.pool, { lockTimeoutMs: 100 });
      migration.catch(() => {});
      let builder = 0;
      await until('the build on the writer\'s partition waiting for it', async () => {
        const r = await w.pool.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database()
          and query like 'CREATE INDEX CONCURRENTLY ' || $1 || '%' and wait_event = 'virtualxid'`, [child]);
        builder = r.rows[0]?.pid ?? 0;
        return builder !== 0;
      });
      await w.pool.query('select pg_cancel_backend($1)', [builder]);
      await expect(migration).rejects.toThrow(/049_activity_session_partial.sql failed \(the next run resumes it\): canceling statement/);
    } finally {
      await writer.query('COMMIT');
      writer.release();
    }
    expect((await w.pool.query(`select indisvalid from pg_index where indexrelid = to_regclass('auditql.' || $1)`, [child])).rows).toEqual([{ indisvalid: false }]);
    expect(await parentValid('auditql.activity_session_partial')).toBe(false);
    expect(await pendingMigrations(w.pool)).toEqual([FILE]);

    // A partition created meanwhile gets the (still invalid) parent's index cloned and attached by PostgreSQL.
    await new PartitionManager(w.pool).ensure('activity', ['2026-11-25']);
    expect((await perPartition('auditql.activity_session_partial')).find((r) => r.partition === 'activity_p20261125'))
      .toMatchObject({ valid: true, predicate: '(session_id IS NOT NULL)' });

    expect(await migrate(w.pool, { lockTimeoutMs: 100 })).toMatchObject({ applied: [FILE] });
    const rows = await perPartition('auditql.activity_session_partial');
    expectOnEveryPartition(rows);
    expect(rows.find((r) => r.partition === `activity_p${DAYS[1]!.replaceAll('-', '')}`)!.index).toBe(child);
    expect(await parentValid('auditql.activity_session_partial')).toBe(true);
    expect(await parentValid('auditql.activity_session')).toBeNull();
    expect(await pendingMigrations(w.pool)).toEqual([]);
  });

  it('makes a partition creator wait for the build on the default partition without locking a table', async () => {
    await before049();
    await w.pool.query(`CREATE INDEX activity_session_partial ON ONLY auditql.activity (server, session_id, part_at) WHERE session_id IS NOT NULL`);
    // A writer holds the default partition (a row of unknown time), so the build there waits for it.
    const writer = await w.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`insert into auditql.activity (seq, source, position, part_at, format, class) values (auditql.next_seq(), 'writers', 'D', 'epoch', 'das', 'READ')`);
      const migration = migrate(w.pool, { lockTimeoutMs: 100 });
      migration.catch(() => {});
      await until('the build on the default partition waiting for the writer', async () => (await w.pool.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event = 'virtualxid'
            and query like 'CREATE INDEX CONCURRENTLY activity_default_activity_session_partial %'`)).rowCount === 1);
      let created = false;
      const creating = new PartitionManager(w.pool).ensure('activity', ['2026-11-28']).then(() => { created = true; });
      // It polls for the partition lock; it must not sit in the parent's lock queue, where every writer would wait behind it.
      await until('the partition creator asking for the partition lock', async () => (await w.pool.query(
        `select 1 from pg_stat_activity where datname = current_database() and query like 'select pg_try_advisory_lock%'`)).rowCount! > 0);
      expect((await w.pool.query(`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
        where d.datname = current_database() and l.locktype = 'relation' and not l.granted`)).rows[0].n).toBe(0);
      expect(created).toBe(false);
      await writer.query('COMMIT');
      expect(await migration).toMatchObject({ applied: [FILE] });
      await creating;
    } finally {
      await writer.query('ROLLBACK').catch(() => {});
      writer.release();
    }
    const rows = await perPartition('auditql.activity_session_partial');
    expectOnEveryPartition(rows);
    expect(rows.map((r) => r.partition)).toContain('activity_p20261128');
  });

  it('finishes when retention drops a partition during its build, whichever side PostgreSQL breaks the deadlock on', async () => {
    // A partitioned table of its own, with a build that takes seconds: 1 ms a row (declared immutable so
    // that it may be indexed).
    await w.pool.query(`
      CREATE TABLE auditql.scratch (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE auditql.scratch_p1 PARTITION OF auditql.scratch FOR VALUES FROM ('2026-01-01') TO ('2026-01-02');
      CREATE TABLE auditql.scratch_p2 PARTITION OF auditql.scratch FOR VALUES FROM ('2026-01-02') TO ('2026-01-03');
      INSERT INTO auditql.scratch SELECT g, '2026-01-01' FROM generate_series(1, 2500) g;
      INSERT INTO auditql.scratch SELECT g, '2026-01-02' FROM generate_series(1, 10) g;
      CREATE FUNCTION auditql.slow(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN i; END $$`);
    const c = await w.pool.connect();
    const lines: string[] = [];
    try {
      const run = runConcurrentIndexes(c, 'scratch.sql', `${CONCURRENT_INDEXES_DIRECTIVE}\nCREATE INDEX scratch_slow ON auditql.scratch ((auditql.slow(id)));\n`,
        { timescaledb: false, lockTimeoutMs: 100, maxWaitMs: 60_000, log: (l) => lines.push(l) });
      run.catch(() => {});
      await until('the build on scratch_p1 running', async () => (await w.pool.query(
        `select 1 from pg_stat_activity where datname = current_database() and state = 'active'
            and query like 'CREATE INDEX CONCURRENTLY scratch_p1_scratch_slow %'`)).rowCount === 1);
      // Retention's drop: ACCESS EXCLUSIVE on the parent, then waits for the build on the partition.
      const dropped = await w.pool.query('DROP TABLE auditql.scratch_p1').then(() => true, (e: { code?: string }) => {
        expect(e.code).toBe('40P01');
        return false;
      });
      await run;
      expect(dropped || lines.some((l) => l.includes('lost a deadlock'))).toBe(true);
      expect(await parentValid('auditql.scratch_slow')).toBe(true);
      const attached = await w.pool.query<{ partition: string; valid: boolean }>(
        `select c.relname as partition, x.indisvalid as valid from pg_inherits i join pg_index x on x.indexrelid = i.inhrelid join pg_class c on c.oid = x.indrelid
          where i.inhparent = 'auditql.scratch_slow'::regclass order by 1`);
      expect(attached.rows).toEqual([...(dropped ? [] : [{ partition: 'scratch_p1', valid: true }]), { partition: 'scratch_p2', valid: true }]);
    } finally {
      c.release();
      await w.pool.query('DROP TABLE auditql.scratch; DROP FUNCTION auditql.slow(int)');
    }
  });

  it('keeps two migrators apart: both finish, one applies the migration', async () => {
    await before049();
    const other = openWarehouse(w.url);
    try {
      const results = await Promise.all([migrate(w.pool, { lockTimeoutMs: 100 }), migrate(other.pool, { lockTimeoutMs: 100 })]);
      expect(results.map((r) => r.applied).sort()).toEqual([[], [FILE]]);
      expectOnEveryPartition(await perPartition('auditql.activity_session_partial'));
    } finally {
      await other.close();
    }
  });
});
