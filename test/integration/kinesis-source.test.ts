/**
 * The Kinesis source against kinesalite started here, DAS records (encrypted as Aurora does, test key
 * provider) as the stream's records, a real warehouse: two shards; a split and a merge during ingest
 * (parents drained before children); throttling and an expired iterator waited out; two processes sharing
 * the stream through warehouse leases; one of them killed (it stops without acknowledging, its leases
 * expire): every record stored exactly once, each time.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/contracts/batch.js';
import type { Sink } from '../../src/contracts/sink.js';
import { decodeContext } from '../../src/decoders/context.js';
import { dasDecoder } from '../../src/decoders/das/decoder.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { kinesisSource, type KinesisSource } from '../../src/sources/kinesis/kinesis-source.js';
import type { KinesisApi } from '../../src/sources/kinesis/shards.js';
import { warehouseShardLeases } from '../../src/warehouse/shard-leases.js';
import { readCheckpoints, WarehouseSink } from '../../src/warehouse/sink.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { DAS_PLAINTEXT_PG, DAS_TEST_RESOURCE_ID, encryptedKinesisRecord, testKeyProvider } from '../helpers/das-crypto.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { startKinesalite, type Kinesalite } from '../helpers/kinesalite.js';
import { probeUntil, until } from '../helpers/until.js';

let w: TestWarehouse;
let k: Kinesalite;
beforeAll(async () => {
  [w, k] = await Promise.all([freshWarehouse(), startKinesalite()]);
});
afterAll(async () => {
  await k?.close();
  await w?.destroy();
});

const statement = DAS_PLAINTEXT_PG.databaseActivityEventList[1]!;
/** DAS Kinesis records, one INSERT each, told apart by statementId. */
async function dasRecords(from: number, count: number): Promise<{ key: string; data: string }[]> {
  return Promise.all(Array.from({ length: count }, async (_, i) => ({
    key: `session-${(from + i) % 7}`,
    data: await encryptedKinesisRecord({ ...DAS_PLAINTEXT_PG, databaseActivityEventList: [{ ...statement, statementId: from + i }] }),
  })));
}

const ctx = decodeContext({ keyProvider: testKeyProvider(), dasResourceId: DAS_TEST_RESOURCE_ID });
const LEASE_MS = 1500;

interface Proc {
  readonly source: KinesisSource;
  readonly done: Promise<unknown>;
  /** Records read by this process's pipeline so far. */
  read(): number;
  /** From now on, writes never commit (the process is about to die mid-batch). */
  hang(): void;
}

function proc(stream: string, sourceName: string, owner: string, client: KinesisApi = k.client, log: Logger = silentLogger): Proc {
  const source = kinesisSource({
    client, stream, owner, leases: warehouseShardLeases(w.pool, sourceName), checkpoints: () => readCheckpoints(w.pool, sourceName),
    leaseMs: LEASE_MS, pollMs: 20, limit: 7, log,
  });
  const real = new WarehouseSink(w.pool, settleAttribution);
  let hung = false;
  const sink: Sink = { write: (b: Batch) => (hung ? new Promise(() => {}) : real.write(b)) };
  const pipeline = new IngestPipeline({ sourceName, source, decoderFor: () => dasDecoder, ctx, sink, batchSize: 5, flushMs: 20 });
  const done = pipeline.run();
  done.catch(() => {});
  return { source, done, read: () => pipeline.summary.read, hang: () => { hung = true; } };
}

/** statementId → how many times it was stored, for a source. */
async function storedCounts(source: string): Promise<Map<number, number>> {
  const r = await w.pool.query<{ id: string; n: string }>(
    `select statement_id as id, count(*) as n from auditql.activity where source = $1 group by statement_id`, [source]);
  return new Map(r.rows.map((x) => [Number(x.id), Number(x.n)]));
}

async function expectExactlyOnce(source: string, count: number): Promise<void> {
  const counts = await probeUntil(`${count} statements stored by ${source}`, () => storedCounts(source), (m) => m.size >= count);
  expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  const dead = await w.pool.query('select count(*)::int as n from auditql.dead_letters where source = $1', [source]);
  expect(dead.rows[0].n).toBe(0);
}

const leaseRows = async (source: string) =>
  (await w.pool.query(`select shard, owner, finished_at is not null as finished from auditql.shard_leases where source = $1 and shard not like '%/member:%' order by shard`, [source])).rows;

describe('kinesis source', () => {
  it('reads both shards, follows a split and a merge (parents first), stores every record once with its shard checkpoints', async () => {
    const stream = `aws-rds-das-${DAS_TEST_RESOURCE_ID}`;
    await k.createStream(stream, 2);
    await k.put(stream, await dasRecords(1, 30));
    const p = proc(stream, 'das-kinesis', 'one');
    await expectExactlyOnce('das-kinesis', 30);

    await k.split(stream, 'shardId-000000000000'); // → shardId-000000000002 and -000000000003
    await k.put(stream, await dasRecords(31, 30));
    await expectExactlyOnce('das-kinesis', 60);
    const [s1, s2, s3] = ['shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003'];
    await k.merge(stream, s2, s3); // → shardId-000000000004, child of both
    await k.put(stream, await dasRecords(61, 20));
    await expectExactlyOnce('das-kinesis', 80);

    // The parents were read to their end and finished before any child record was stored.
    await until('the merged shards finished', async () => (await leaseRows('das-kinesis')).filter((r) => r.finished).length === 3);
    expect((await leaseRows('das-kinesis')).map((r) => [r.shard.replace(`kinesis:${stream}/`, ''), r.finished])).toEqual([
      ['shardId-000000000000', true], [s1, false], [s2, true], [s3, true], ['shardId-000000000004', false],
    ]);
    const order = await w.pool.query<{ shard: string; first: string; last: string }>(
      `select split_part(position, '/', 2) as shard, min(seq)::text as first, max(seq)::text as last
         from auditql.activity where source = 'das-kinesis' group by 1`);
    const at = Object.fromEntries(order.rows.map((r) => [r.shard, { first: BigInt(r.first), last: BigInt(r.last) }]));
    expect(at['shardId-000000000000']!.last < at[s2]!.first && at['shardId-000000000000']!.last < at[s3]!.first).toBe(true);
    expect(at[s2]!.last < at['shardId-000000000004']!.first && at[s3]!.last < at['shardId-000000000004']!.first).toBe(true);

    // Positions and checkpoints name the stream, the shard and the sequence number.
    const cps = await readCheckpoints(w.pool, 'das-kinesis');
    expect([...cps.keys()].sort()).toEqual([0, 1, 2, 3, 4].map((n) => `kinesis:${stream}/shardId-00000000000${n}`));
    const pos = await w.pool.query(`select position from auditql.activity where source = 'das-kinesis' limit 1`);
    expect(pos.rows[0].position).toMatch(new RegExp(`^kinesis:${stream}/shardId-00000000000\\d/\\d+$`));

    await p.source.stop!();
    await p.done;
    // A graceful stop hands every lease back at once.
    const live = await w.pool.query(`select shard from auditql.shard_leases where source = 'das-kinesis' and expires_at > now()`);
    expect(live.rows).toEqual([]);
  });

  it('backs off on throttling and gets an expired iterator again after the last record read', async () => {
    const stream = 'throttled';
    await k.createStream(stream, 1);
    await k.put(stream, await dasRecords(1, 20));
    const faults = ['ProvisionedThroughputExceededException', 'ProvisionedThroughputExceededException', null, 'ExpiredIteratorException', null, 'ExpiredIteratorException'];
    let getRecords = 0;
    const flaky: KinesisApi = {
      send: ((command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'GetRecordsCommand') {
          const fault = faults[getRecords++];
          if (fault) return Promise.reject(Object.assign(new Error('injected'), { name: fault }));
        }
        return k.client.send(command as never);
      }) as KinesisApi['send'],
    };
    const lines: string[] = [];
    const log: Logger = { ...silentLogger, info: (m) => lines.push(m), debug: (m) => lines.push(m) };
    const p = proc(stream, 'throttled', 'one', flaky, log);
    await expectExactlyOnce('throttled', 20);
    expect(getRecords).toBeGreaterThan(faults.length);
    expect(lines.filter((l) => l.includes('ProvisionedThroughputExceededException; retrying'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('iterator expired; resuming after 4'))).toHaveLength(2);
    await p.source.stop!();
    await p.done;
  });

  it('two processes share the stream; one is killed mid-batch; the other takes its shard over: every record once', async () => {
    const stream = 'shared';
    await k.createStream(stream, 2);
    const a = proc(stream, 'shared', 'a');
    const b = proc(stream, 'shared', 'b');
    // Each takes its share: one shard each, whoever started first.
    await until('one shard each', () => a.source.shards().length === 1 && b.source.shards().length === 1, 20_000);
    expect([...a.source.shards(), ...b.source.shards()].sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    await k.put(stream, await dasRecords(1, 40));
    await expectExactlyOnce('shared', 40);

    // a dies: its next writes never commit, and it stops without acknowledging or releasing anything.
    a.hang();
    const readBefore = a.read();
    await k.put(stream, await dasRecords(41, 40));
    await until('a read records it will never store', () => a.read() > readBefore);
    a.source.fail!(new Error('killed'));
    expect((await storedCounts('shared')).size).toBeLessThan(80);
    await expectExactlyOnce('shared', 80);
    expect(b.source.shards()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    const owners = await w.pool.query(`select distinct owner from auditql.shard_leases where source = 'shared' and expires_at > now() and shard not like '%/member:%'`);
    expect(owners.rows).toEqual([{ owner: 'b' }]);
    await b.source.stop!();
    await b.done;
  });

  it('two built CLI processes share a stream; kill -9 of one mid-stream and a replacement: every record stored exactly once', async () => {
    const ROOT = fileURLToPath(new URL('../../', import.meta.url));
    const stream = 'app-audit-shared';
    await k.createStream(stream, 2);
    const N = 3000;
    const event = (i: number) => JSON.stringify({
      action: 'auth.login', actor: { email: `user${i}@example.com` }, client: { ip: '203.0.113.7', user_agent: 'shop-web/4.2' },
      session_id: `s-${i}`, request_id: `r-${i}`, occurred_at: new Date(Date.UTC(2024, 0, 12, 9, 30, 0, i)).toISOString(),
    });
    for (let i = 0; i < N; i += 500) await k.put(stream, Array.from({ length: Math.min(500, N - i) }, (_, j) => ({ key: `k${i + j}`, data: event(i + j) })));
    const start = () => {
      const child = spawn(process.execPath, [`${ROOT}bin/auditql.js`, 'ingest', '--from', 'kinesis', '--stream', stream, '--endpoint', k.endpoint,
        '--region', 'us-east-1', '--lease-ms', '1500', '--batch-size', '100', '--format', 'mapped', '--mapping', `${ROOT}test/fixtures/mapped/app-audit.mapping.json`,
        '--source', 'kinesis-shared'], { env: { ...process.env, DATABASE_URL: w.url }, cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      return { child, exit };
    };
    const stored = async () => Number((await w.pool.query(`select count(*) as n from auditql.activity where source = 'kinesis-shared'`)).rows[0].n);
    const a = start();
    const b = start();
    try {
      // both hold a shard (one lease each) and have stored something, then one dies without a chance to clean up
      await probeUntil('both processes hold a lease and rows are stored', async () => ({
        owners: Number((await w.pool.query(`select count(distinct owner) as n from auditql.shard_leases where source = 'kinesis-shared' and shard not like '%/member:%' and expires_at > now()`)).rows[0].n),
        n: await stored(),
      }), (x) => x.owners === 2 && x.n > 0, 60_000);
      a.child.kill('SIGKILL');
      await a.exit;
      const c = start();
      try {
        await probeUntil('every record stored', stored, (n) => n >= N, 90_000);
        // each record is there once: as many rows as records, each at its own position
        const dup = await w.pool.query(`select count(*)::int as n, count(distinct position)::int as positions from auditql.activity where source = 'kinesis-shared'`);
        expect(dup.rows[0]).toEqual({ n: N, positions: N });
      } finally {
        c.child.kill('SIGTERM');
        expect(await c.exit).toBe(0);
      }
    } finally {
      if (a.child.exitCode === null) a.child.kill('SIGKILL');
      b.child.kill('SIGTERM');
      expect(await b.exit).toBe(0);
    }
  }, 150_000);

  it('through the built CLI: --from kinesis --endpoint, JSON events mapped, stopped by SIGTERM with its summary', async () => {
    const ROOT = fileURLToPath(new URL('../../', import.meta.url));
    const stream = 'app-audit';
    await k.createStream(stream, 2);
    const lines = readFileSync(`${ROOT}test/fixtures/mapped/app-audit.jsonl`, 'utf8').trim().split('\n');
    await k.put(stream, lines.map((data, i) => ({ key: `k${i}`, data })));
    const child = spawn(process.execPath, [`${ROOT}bin/auditql.js`, 'ingest', '--from', 'kinesis', '--stream', stream, '--endpoint', k.endpoint,
      '--region', 'us-east-1', '--lease-ms', '3000', '--format', 'mapped', '--mapping', `${ROOT}test/fixtures/mapped/app-audit.mapping.json`,
      '--source', 'kinesis-cli', '--json'], { env: { ...process.env, DATABASE_URL: w.url }, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await probeUntil('the fixture stored', async () => (await w.pool.query(
      `select (select count(*) from auditql.changes where source = 'kinesis-cli') + (select count(*) from auditql.activity where source = 'kinesis-cli') as n`)).rows[0].n,
    (n) => Number(n) === 5);
    await probeUntil('the dead letter stored', async () => (await w.pool.query(`select count(*)::int as n from auditql.dead_letters where source = 'kinesis-cli'`)).rows[0].n, (n) => n === 1);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(JSON.parse(out.trim())).toMatchObject({ read: 7, stored: 5, deadLettered: 1, skipped: 1, skippedBy: { 'FILTERED:healthcheck': 1 } });
    const live = await w.pool.query(`select count(*)::int as n from auditql.shard_leases where source = 'kinesis-cli' and expires_at > now()`);
    expect(live.rows[0].n).toBe(0);
  });
});
