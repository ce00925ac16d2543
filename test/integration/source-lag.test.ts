/**
 * Source lag on a real /metrics scrape (docs/operations.md "Ingest"), from the real transports: a
 * replication slot on a source PostgreSQL (the harness's server has wal_level=logical) whose capture is
 * held back by a lock on the warehouse, kinesalite's shards, and a RabbitMQ queue (skipped, saying so,
 * when rabbitmq-server is not installed).
 */
import amqp from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/contracts/records.js';
import { decodeContext } from '../../src/decoders/context.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { startIngest } from '../../src/ingest/run.js';
import { silentLogger } from '../../src/log.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server.js';
import { createTelemetry, type Telemetry } from '../../src/metrics/telemetry.js';
import { startPostgresCapture } from '../../src/cli/commands/ingest-postgres.js';
import { amqpSource } from '../../src/sources/amqp/amqp-source.js';
import { kinesisSource } from '../../src/sources/kinesis/kinesis-source.js';
import { warehouseShardLeases } from '../../src/warehouse/shard-leases.js';
import { readCheckpoints } from '../../src/warehouse/sink.js';
import { maxwellRow } from '../helpers/array-source.js';
import { createDatabase, freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { startKinesalite, type Kinesalite } from '../helpers/kinesalite.js';
import { sampleValue, scrape } from '../helpers/prom-text.js';
import { rabbitmqAvailable, RABBITMQ_SERVER, startRabbit, type RabbitNode } from '../helpers/rabbitmq.js';
import { probeUntil } from '../helpers/until.js';

let w: TestWarehouse;
let telemetry: Telemetry;
let server: MetricsServer;
beforeAll(async () => {
  w = await freshWarehouse();
  telemetry = createTelemetry();
  server = await startMetricsServer({ telemetry, readiness: [], port: 0, host: '127.0.0.1', log: silentLogger });
});
afterAll(async () => {
  await server?.close();
  await w?.destroy();
});

const lagOf = async (unit: 'records' | 'bytes' | 'seconds', source: string, stream: string) =>
  sampleValue(await scrape(server.url), `auditql_ingest_source_lag_${unit}`, { source, stream });

describe('replication slot lag', () => {
  let src: Awaited<ReturnType<typeof createDatabase>>;
  let srcPool: pg.Pool;
  beforeAll(async () => {
    src = await createDatabase('lagsrc');
    srcPool = new pg.Pool({ connectionString: src.url, max: 2 });
    await srcPool.query(`create table items (id int primary key, body text); create publication lag_pub for table items`);
  });
  afterAll(async () => {
    await srcPool?.query(`select pg_drop_replication_slot('lag_slot') from pg_replication_slots where slot_name = 'lag_slot' and not active`).catch(() => {});
    await srcPool?.end();
    await src?.drop().catch(() => {});
  });

  const walNow = async () => BigInt((await srcPool.query<{ b: string }>(`select (pg_current_wal_lsn() - '0/0')::text as b`)).rows[0]!.b);
  const slotBehind = async () =>
    Number((await srcPool.query<{ b: string }>(`select (pg_current_wal_lsn() - confirmed_flush_lsn)::text as b from pg_replication_slots where slot_name = 'lag_slot'`)).rows[0]!.b);

  /** The scraped bytes, checked to be read on the source at scrape time: between what the catalog said just before and just after. */
  async function scrapedBytes(): Promise<number> {
    const floor = await slotBehind();
    const bytes = (await lagOf('bytes', 'pg-lag', 'slot:lag_slot'))!;
    const ceiling = await slotBehind();
    expect(bytes).toBeGreaterThanOrEqual(floor);
    expect(bytes).toBeLessThanOrEqual(ceiling);
    return bytes;
  }

  it('reports the WAL bytes after the slot\'s confirmed LSN and the age of the oldest commit not stored, back to 0 s once stored', async () => {
    const capture = await startPostgresCapture({
      pool: w.pool, sourceName: 'pg-lag', sourceUrl: src.url, publication: 'lag_pub', slot: 'lag_slot', createSlot: true,
      ctx: decodeContext(), log: silentLogger, observer: telemetry.ingest.observer('pg-lag'),
    });
    try {
      await srcPool.query(`insert into items values (0, 'warm-up')`);
      await probeUntil('the warm-up stored', async () => (await w.pool.query(`select count(*)::int as n from auditql.changes where source = 'pg-lag'`)).rows[0].n, (n) => n === 1);
      expect(await probeUntil('0 s once stored', () => lagOf('seconds', 'pg-lag', 'slot:lag_slot'), (v) => v === 0)).toBe(0);

      // Hold the capture's next write back: the warehouse's changes table is locked by the test.
      const holder = await w.pool.connect();
      try {
        await holder.query('begin');
        await holder.query('lock table auditql.changes in access exclusive mode');
        const before = await slotBehind();
        const walBefore = await walNow();
        await srcPool.query(`insert into items select g, repeat('x', 200) from generate_series(1, 2000) g`);
        const committedBy = Date.now();
        const big = Number((await walNow()) - walBefore);
        expect(big).toBeGreaterThan(400_000);

        // The commit reached auditql and waits for the warehouse: its age grows from scrape to scrape.
        const first = await probeUntil('the held commit in the lag', () => lagOf('seconds', 'pg-lag', 'slot:lag_slot'), (v) => (v ?? 0) > 0.05);
        expect(await scrapedBytes()).toBeGreaterThanOrEqual(before + big);
        const second = await probeUntil('the age grows', () => lagOf('seconds', 'pg-lag', 'slot:lag_slot'), (v) => (v ?? 0) > first!);
        expect(second! * 1000).toBeLessThanOrEqual(Date.now() - committedBy + 5000);
      } finally {
        await holder.query('rollback');
        holder.release();
      }
      await probeUntil('2001 changes stored', async () => (await w.pool.query(`select count(*)::int as n from auditql.changes where source = 'pg-lag'`)).rows[0].n, (n) => n === 2001);
      expect(await probeUntil('0 s once stored', () => lagOf('seconds', 'pg-lag', 'slot:lag_slot'), (v) => v === 0)).toBe(0);
      // The slot confirmed the stored commit (the warehouse checkpoint): the bytes are counted from there.
      const stored = (await readCheckpoints(w.pool, 'pg-lag')).get('slot:lag_slot')!;
      await probeUntil('the slot confirmed the stored commit', async () =>
        (await srcPool.query(`select confirmed_flush_lsn = $1::pg_lsn as ok from pg_replication_slots where slot_name = 'lag_slot'`, [stored])).rows[0].ok, (ok) => ok === true);
      await scrapedBytes();
    } finally {
      await capture.stop();
    }
    // Once the capture stopped its source is gone, and with it the lag: nothing stale is reported.
    const m = await scrape(server.url);
    expect(sampleValue(m, 'auditql_ingest_source_lag_bytes', { source: 'pg-lag', stream: 'slot:lag_slot' })).toBeUndefined();
    expect(sampleValue(m, 'auditql_ingest_source_lag_seconds', { source: 'pg-lag', stream: 'slot:lag_slot' })).toBeUndefined();
  }, 60_000);
});

describe('kinesis lag', () => {
  let k: Kinesalite;
  beforeAll(async () => { k = await startKinesalite(); });
  afterAll(async () => { await k?.close(); });

  it("reports each shard's MillisBehindLatest, in seconds, for the shards it reads", async () => {
    await k.createStream('lagging', 2);
    await k.put('lagging', Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, data: maxwellRow(i + 1, `n${i}`) })));
    const source = kinesisSource({
      client: k.client, stream: 'lagging', owner: 'lag-test', leases: warehouseShardLeases(w.pool, 'kin-lag'),
      checkpoints: () => readCheckpoints(w.pool, 'kin-lag'), pollMs: 20, limit: 5, log: silentLogger,
    });
    const decoder = await loadDecoder('maxwell');
    const run = startIngest({
      pool: w.pool, sourceName: 'kin-lag', source, decoderFor: () => decoder, ctx: decodeContext(), live: true,
      flushMs: 10, log: silentLogger, observer: telemetry.ingest.observer('kin-lag'),
    });
    try {
      await probeUntil('20 stored', async () => (await w.pool.query(`select count(*)::int as n from auditql.changes where source = 'kin-lag'`)).rows[0].n, (n) => n === 20);
      const streams = await probeUntil('both shards measured', async () => source.lag(), (l) => l.length === 2);
      expect(streams.map((l) => l.stream).sort()).toEqual(['kinesis:lagging/shardId-000000000000', 'kinesis:lagging/shardId-000000000001']);
      const m = await scrape(server.url);
      // kinesalite answers 0 for an open shard read to its tip, as Kinesis does.
      for (const l of streams) expect(sampleValue(m, 'auditql_ingest_source_lag_seconds', { source: 'kin-lag', stream: l.stream })).toBe(0);
    } finally {
      await run.stop();
    }
  }, 60_000);
});

if (!rabbitmqAvailable()) console.warn(`source-lag.test.ts: AMQP lag SKIPPED: ${RABBITMQ_SERVER} is not installed`);

describe.skipIf(!rabbitmqAvailable())('amqp lag', () => {
  let rabbit: RabbitNode;
  beforeAll(async () => { rabbit = await startRabbit(); }, 180_000);
  afterAll(async () => { await rabbit?.stop(); });

  it('reports the messages ready in the queue plus those delivered and not yet stored', async () => {
    const c = await amqp.connect(rabbit.url);
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('lagq', { durable: true });
    for (let i = 0; i < 50; i++) ch.sendToQueue('lagq', Buffer.from(`m${i}`), { persistent: true, messageId: `m${i}` });
    await ch.waitForConfirms();
    await c.close();

    const source = amqpSource({ url: rabbit.url, queue: 'lagq', prefetch: 10, log: silentLogger });
    telemetry.ingest.observer('amqp-lag').watchLag!(() => source.lag!());
    const it = source.records()[Symbol.asyncIterator]();
    const take = async (n: number) => {
      let last: SourceRecord | undefined;
      for (let i = 0; i < n; i++) last = (await it.next()).value as SourceRecord;
      return last!;
    };
    try {
      // 10 delivered (prefetch), none stored: all 50 are behind.
      let last = await take(10);
      expect(await probeUntil('50 behind', () => lagOf('records', 'amqp-lag', 'amqp:lagq'), (v) => v === 50)).toBe(50);
      await source.acknowledge!([last.checkpoint!]);
      last = await take(10);
      expect(await probeUntil('40 behind', () => lagOf('records', 'amqp-lag', 'amqp:lagq'), (v) => v === 40)).toBe(40);
      await source.acknowledge!([last.checkpoint!]);
      for (let i = 0; i < 3; i++) {
        last = await take(10);
        await source.acknowledge!([last.checkpoint!]);
      }
      expect(await probeUntil('none behind', () => lagOf('records', 'amqp-lag', 'amqp:lagq'), (v) => v === 0)).toBe(0);
    } finally {
      await source.stop!();
    }
  }, 60_000);
});
