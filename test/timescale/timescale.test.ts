/**
 * The TimescaleDB path against a real TimescaleDB (PGlite + the extension, served over the wire protocol:
 * test/helpers/timescale.ts), next to the default plain-partitioning path on the test PostgreSQL. The same
 * fixture files of every format go through the same pipeline and sink into both; the contract queries,
 * asked of a real API server over each, must answer the same — before and after the chunks are compressed.
 * Retention drops whole chunks like it drops whole partitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { contextOf, fixtureCases, type FixtureCase } from '../helpers/fixtures.js';
import { keyProviderFor } from '../helpers/das-crypto.js';
import { startTimescale, type TimescaleServer } from '../helpers/timescale.js';
import { FORMATS, loadDecoder } from '../../src/decoders/registry.js';
import type { DecodeContext } from '../../src/decoders/decoder.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { warehouseSink } from '../../src/ingest/run.js';
import { fileSource } from '../../src/sources/file/file-source.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate } from '../../src/warehouse/migrate.js';
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

async function ingestFixtures(pool: WarehouseDb['pool']): Promise<void> {
  for (const c of cases) {
    const decoder = await loadDecoder(c.format);
    const keyProvider = keyProviderFor(c.expected.context as { keyProviderFixture?: string } | undefined);
    const ctx: DecodeContext = contextOf(c.expected, keyProvider ? { keyProvider } : {});
    await new IngestPipeline({
      sourceName: source(c), source: fileSource({ paths: [c.input], decoder, ctx }), decoderFor: () => decoder, ctx,
      sink: warehouseSink(pool), batchSize: 50,
    }).run();
  }
}

beforeAll(async () => {
  tsdb = await startTimescale();
  ts = openWarehouse(tsdb.url, { max: 1 });
  const [tsMigrated] = await Promise.all([migrate(ts.pool), freshWarehouse().then((w) => (plain = w))]);
  expect(tsMigrated.timescaledb).toBe(true);
  await Promise.all([ingestFixtures(ts.pool), ingestFixtures(plain.pool)]);
  // No subscriptions: the feed's LISTEN connection would hold PGlite's one connection.
  [tsApi, plainApi] = await Promise.all([ts, plain].map((warehouse) => startApiServer({ warehouse, port: 0, host: '127.0.0.1', subscriptions: false })));
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

/** Every contract query over every entity, user and transaction the plain path holds, asked of both servers. */
async function expectSameAnswers(): Promise<void> {
  const changes = await allChanges(plainApi.url);
  const activity = await allActivity(plainApi.url);
  expect(changes.length).toBeGreaterThan(50);
  expect(activity.length).toBeGreaterThan(200);
  expect(await allChanges(tsApi.url)).toEqual(changes);
  expect(await allActivity(tsApi.url)).toEqual(activity);

  const asked: [string, unknown][] = [];
  const both = async <R, V>(doc: Parameters<typeof ok<R, V>>[1], vars: V) => {
    const [a, b] = await Promise.all([ok(tsApi.url, doc, vars), ok(plainApi.url, doc, vars)]);
    expect(a, JSON.stringify(vars)).toEqual(b);
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
  expect(histories).toBeGreaterThan(20);
  for (const user of new Set(activity.map((a) => a.dbUser).filter((u): u is string => u !== null))) {
    await both(ActivityByUserDocument, { user, first: 100 });
  }
  const txs = new Set(changes.map((c) => c.transactionId).filter((t): t is string => t !== null));
  expect(txs.size).toBeGreaterThan(5);
  let found = 0;
  for (const id of txs) if ((await both(TransactionDocument, { id, first: 100 })).transaction) found++;
  expect(found).toBeGreaterThan(5);
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
    await expectSameAnswers();
  });
});
