/**
 * The TimescaleDB path against a real TimescaleDB (PGlite + the extension, served over the wire protocol:
 * test/helpers/timescale.ts), next to the default plain-partitioning path on the test PostgreSQL. The same
 * fixture files of every format go through the same pipeline and sink into both; the contract queries,
 * asked of a real API server over each, must answer the same — before and after the chunks are compressed.
 * Retention drops whole chunks like it drops whole partitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { fixtureCases, type FixtureCase } from '../helpers/fixtures.js';
import { ingestFixtures } from '../helpers/ingest-fixtures.js';
import { startTimescale, type TimescaleServer } from '../helpers/timescale.js';
import { FORMATS } from '../../src/decoders/registry.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate } from '../../src/warehouse/migrate.js';
import { PartitionManager } from '../../src/warehouse/partitions.js';
import { generateSigner } from '../../src/warehouse/ledger/signed-note.js';
import { verifyLedger } from '../../src/warehouse/ledger/verify.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { ok } from '../graphql/helpers.js';
import {
  ActivityByUserDocument, ActivityDocument, ChangesDocument, EntityAtDetailDocument, EntityHistoryDocument, TransactionDocument, WhoChangedDocument,
  type ActivityQuery, type ChangesQuery,
} from '../graphql/generated.js';

const cases: FixtureCase[] = FORMATS.flatMap((f) => fixtureCases(f));
const source = (c: FixtureCase) => `tsdb/${c.format}/${c.name}`;

const scalarKey = (k: Record<string, unknown>) =>
  Object.keys(k).length > 0 && Object.values(k).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));

let tsdb: TimescaleServer;
let ts: WarehouseDb;
let plain: TestWarehouse;
let tsApi: ApiServer;
let plainApi: ApiServer;

beforeAll(async () => {
  tsdb = await startTimescale();
  ts = openWarehouse(tsdb.url, { max: 1 });
  const [tsMigrated] = await Promise.all([migrate(ts.pool), freshWarehouse().then((w) => (plain = w))]);
  expect(tsMigrated.timescaledb).toBe(true);
  await Promise.all([ingestFixtures(ts.pool, cases, source), ingestFixtures(plain.pool, cases, source)]);
  // No subscriptions: the feed's LISTEN connection would hold PGlite's one connection.
  [tsApi, plainApi] = await Promise.all([ts, plain].map((warehouse) => startApiServer({ warehouse, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', subscriptions: false })));
}, 120_000);

afterAll(async () => {
  await tsApi?.close();
  await plainApi?.close();
  await ts?.close();
  await tsdb?.stop();
  await plain?.destroy();
});

async function allChanges(url: string) {
  const nodes: ChangesQuery['changes']['edges'][number]['node'][] = [];
  let after: string | null = null;
  do {
    const r: ChangesQuery = await ok(url, ChangesDocument, { first: 200, after, order: 'FEED_ORDER' });
    nodes.push(...r.changes.edges.map((e) => e.node));
    after = r.changes.pageInfo.hasNextPage ? r.changes.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

async function allActivity(url: string) {
  const nodes: ActivityQuery['activity']['edges'][number]['node'][] = [];
  let after: string | null = null;
  do {
    const r: ActivityQuery = await ok(url, ActivityDocument, { first: 200, after, order: 'FEED_ORDER' });
    nodes.push(...r.activity.edges.map((e) => e.node));
    after = r.activity.pageInfo.hasNextPage ? r.activity.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

/**
 * An answer without the values built on `seq` (ids, cursors). Seqs are the feed order, not a row's
 * identity across warehouses: every writing transaction burns a marker seq, and a transaction that fails
 * and is retried, or a staging fallback (a redelivery into compressed chunks, where the sink's probe does
 * not see the stored rows), leaves seqs unused, so the same rows can get different seqs on the two paths.
 * Order is still compared: lists keep theirs.
 */
const SEQ_KEYS = new Set(['id', 'cursor', 'endCursor', 'startCursor', 'changeId', 'contextId', 'activityId', 'seq']);
function seqFree(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(seqFree);
  if (typeof x !== 'object' || x === null) return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, SEQ_KEYS.has(k) && typeof v === 'string' ? '<seq>' : seqFree(v)]));
}

/** Every contract query over every entity, user and transaction the plain path holds, asked of both servers. */
async function expectSameAnswers(least: { changes: number; activity: number; histories: number; txs: number }): Promise<void> {
  const changes = await allChanges(plainApi.url);
  const activity = await allActivity(plainApi.url);
  expect(changes.length).toBeGreaterThanOrEqual(least.changes);
  expect(activity.length).toBeGreaterThanOrEqual(least.activity);
  expect(seqFree(await allChanges(tsApi.url))).toEqual(seqFree(changes));
  expect(seqFree(await allActivity(tsApi.url))).toEqual(seqFree(activity));

  const asked: [string, unknown][] = [];
  const both = async <R, V>(doc: Parameters<typeof ok<R, V>>[1], vars: V) => {
    const [a, b] = await Promise.all([ok(tsApi.url, doc, vars), ok(plainApi.url, doc, vars)]);
    expect(seqFree(a), JSON.stringify(vars)).toEqual(seqFree(b));
    asked.push([JSON.stringify(vars), b]);
    return b;
  };
  const entities = new Map(changes.filter((c) => scalarKey(c.key as Record<string, unknown>)).map((c) => [JSON.stringify([c.table, c.key, c.database, c.schema]), c]));
  let histories = 0;
  for (const c of entities.values()) {
    const h = await both(EntityHistoryDocument, { table: c.table, key: c.key, database: c.database, schema: c.schema, first: 100 });
    if (h.entityHistory.edges.length > 0) histories++;
    await both(WhoChangedDocument, { table: c.table, key: c.key, first: 100 });
    if (c.committedAt) {
      await both(EntityAtDetailDocument, { table: c.table, key: c.key, at: c.committedAt, database: c.database, schema: c.schema });
      await both(WhoChangedDocument, { table: c.table, since: c.committedAt, first: 100 });
    }
  }
  expect(histories).toBeGreaterThanOrEqual(least.histories);
  for (const user of new Set(activity.map((a) => a.dbUser).filter((u): u is string => u !== null))) {
    await both(ActivityByUserDocument, { user, first: 100 });
  }
  const txs = new Set(changes.map((c) => c.transactionId).filter((t): t is string => t !== null));
  let found = 0;
  for (const id of txs) if ((await both(TransactionDocument, { id, first: 100 })).transaction) found++;
  expect(found).toBeGreaterThanOrEqual(least.txs);
}

describe('TimescaleDB warehouse', () => {
  it('makes changes and activity hypertables with daily chunks', async () => {
    const h = await ts.pool.query<{ hypertable_name: string }>(
      `SELECT hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_schema = 'auditql' ORDER BY 1`,
    );
    expect(h.rows.map((r) => r.hypertable_name)).toEqual(['activity', 'changes']);
    const chunks = await ts.pool.query<{ n: string }>(`SELECT count(*) AS n FROM show_chunks('auditql.changes')`);
    expect(Number(chunks.rows[0]!.n)).toBeGreaterThan(3);
  });

  it('answers every contract query as the plain-partitioning path does', async () => {
    await expectSameAnswers({ changes: 80, activity: 300, histories: 20, txs: 5 });
  });

  it('compresses old chunks, answers the same from them, and still absorbs redelivery and takes late rows', async () => {
    const before = await compressedChunks();
    expect(before.compressed).toBe(0);
    const compressed = await new PartitionManager(ts.pool).compressOlderThan(1);
    expect(compressed.length).toBe(before.total);
    expect(await compressedChunks()).toEqual({ total: before.total, compressed: before.total });
    // the plain path has no compression: a no-op there
    expect(await new PartitionManager(plain.pool).compressOlderThan(1)).toEqual([]);
    await expectSameAnswers({ changes: 80, activity: 300, histories: 20, txs: 5 });

    // every fixture again, same sources: all duplicates, found through the unique key in compressed chunks
    const again = await ingestFixtures(ts.pool, cases, source);
    expect(again.reduce((n, x) => n + x.stored, 0)).toBe(0);
    expect(again.reduce((n, x) => n + x.duplicates, 0)).toBeGreaterThan(380);
    // late rows into compressed chunks: one case under a new source name, into both warehouses
    const late = cases.find((c) => c.format === 'debezium' && c.name === 'pg-transaction-metadata')!;
    const [tsLate, plainLate] = await Promise.all([ts, plain].map((w) => ingestFixtures(w.pool, [late], () => 'tsdb/late')));
    expect(tsLate![0]!.stored).toBeGreaterThan(0);
    expect(tsLate).toEqual(plainLate);
    const lateChanges = (url: string) => ok(url, ChangesDocument, { filter: { source: 'tsdb/late' }, first: 100, order: 'FEED_ORDER' });
    expect(seqFree(await lateChanges(tsApi.url))).toEqual(seqFree(await lateChanges(plainApi.url)));
  });

  it('retention drops the same days as the plain path drops partitions, signs the same retention events, and keeps unknown times', async () => {
    const now = new Date('2024-06-12T12:00:00Z'); // keep 2 days: everything before 2024-06-10 goes
    const ledger = { signer: generateSigner('auditql-tsdb-test'), origin: 'auditql-tsdb-test' };
    const [tsDropped, plainDropped] = await Promise.all([ts, plain].map((w) => new PartitionManager(w.pool).dropOlderThan(2, now, ledger)));
    expect(plainDropped!.length).toBeGreaterThan(5);
    expect(tsDropped!.length).toBe(plainDropped!.length);
    // One signed event per dropped chunk, holding what the partition of the same day held on the plain path
    // (the removed roots differ: a leaf hashes ingested_at too). A drop only happens after the chunk's rows
    // hashed to the leaves the ledger logged for them (retention-event.ts), so the chunks were intact.
    const events = (w: WarehouseDb) => w.pool.query(
      `SELECT kind, range_from, range_to, leaf_count::int AS leaves, seq_min, seq_max FROM auditql.ledger_retention ORDER BY kind, range_from`,
    ).then((r) => r.rows);
    const plainEvents = await events(plain);
    expect(plainEvents.length).toBe(plainDropped!.length);
    expect(plainEvents.reduce((n, e) => n + (e.leaves as number), 0)).toBeGreaterThan(20);
    expect(await events(ts)).toEqual(plainEvents);
    // the plain path verifies intact with them (verify needs two connections, which PGlite cannot give)
    const report = await verifyLedger(plain.pool, { trusted: [ledger.signer] });
    expect(report.divergences).toEqual([]);
    expect(report.retentionEvents).toBe(plainEvents.length);
    const left = await ts.pool.query<{ oldest: Date }>(
      `SELECT min(range_start) AS oldest FROM timescaledb_information.chunks WHERE hypertable_schema = 'auditql' AND range_start >= '1990-01-01'`,
    );
    expect(left.rows[0]!.oldest.toISOString()).toBe('2024-06-10T00:00:00.000Z');
    // rows of unknown time (stored at the epoch) stay: in the default partition, and in the epoch's chunk
    const epochRows = (w: WarehouseDb) => w.pool.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM auditql.changes WHERE part_at = 'epoch') + (SELECT count(*) FROM auditql.activity WHERE part_at = 'epoch'))::int AS n`,
    ).then((r) => r.rows[0]!.n);
    expect(await epochRows(ts)).toBeGreaterThan(0);
    expect(await epochRows(ts)).toBe(await epochRows(plain));
    await expectSameAnswers({ changes: 30, activity: 300, histories: 10, txs: 1 });
  });
});

async function compressedChunks(): Promise<{ total: number; compressed: number }> {
  const r = await ts.pool.query<{ total: number; compressed: number }>(
    `SELECT count(*)::int AS total, (count(*) FILTER (WHERE is_compressed))::int AS compressed
       FROM timescaledb_information.chunks WHERE hypertable_schema = 'auditql'`,
  );
  return r.rows[0]!;
}
