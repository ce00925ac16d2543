/**
 * The Kafka source against a real PostgreSQL, driven by kafkajs itself. No broker can run here
 * (docs/contributing.md "Tests"), so the only stand-in is the network end: `StandInKafka` answers the requests
 * kafkajs's consumer makes (join/sync, offset fetch/commit, heartbeat, fetch) from in-memory partition
 * logs. Everything else is kafkajs's own code: its consumer (`kafkajs/src/consumer/index.js`), consumer
 * group, runner, offset manager and `Batch` objects build the `EachBatchPayload`s our handler gets, exactly
 * as with a broker. Records are the kcat dumps of test/fixtures (Debezium and Maxwell), replayed at their
 * own topic/partition/offset, so a file replay and a live consume can be compared.
 */
import { createRequire } from 'node:module';
import { logFramerOf } from '../../src/decoders/decoder.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, ConsumerConfig } from 'kafkajs';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { decodeContext } from '../../src/decoders/context.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import type { Sink } from '../../src/contracts/sink.js';
import { onShutdown, shutdown } from '../../src/lifecycle.js';
import type { Logger } from '../../src/log.js';
import { fileSource } from '../../src/sources/file/file-source.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { kafkaSource, type KafkaClients, type KafkaSource } from '../../src/sources/kafka/kafka-source.js';
import { kafkaLogCreator } from '../../src/sources/kafka/kafka-log.js';
import { loadKafkaEnv } from '../../src/sources/kafka/kafka-env.js';
import { parseTopicRoutes } from '../../src/sources/kafka/topic-routes.js';
import { topicDecoders } from '../../src/cli/commands/ingest-kafka.js';
import { readCheckpoints, WarehouseSink } from '../../src/warehouse/sink.js';
import type { Batch } from '../../src/contracts/batch.js';
import { maxwellRow } from '../helpers/array-source.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-require-imports */
const createConsumer = require('kafkajs/src/consumer/index.js') as (o: Record<string, unknown>) => Consumer;
const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js') as {
  createLogger: (o: { level: number; logCreator: unknown }) => unknown;
  LEVELS: Record<string, number>;
};
const { MemberAssignment, MemberMetadata } = require('kafkajs/src/consumer/assignerProtocol.js') as {
  MemberAssignment: { encode: (a: { version: number; assignment: Record<string, number[]> }) => Buffer };
  MemberMetadata: { decode: (b: Buffer) => { topics: string[] } };
};
const { KafkaJSProtocolError } = require('kafkajs/src/errors.js') as { KafkaJSProtocolError: new (e: unknown) => Error };
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => unknown };

const REBALANCE_IN_PROGRESS = 27;
const ILLEGAL_GENERATION = 22;

// ---------------------------------------------------------------------------------------------------------
// The stand-in for the broker side of the wire.

interface Message {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
  readonly timestamp: string;
}

interface Commit {
  readonly stream: string;
  readonly offset: string;
  readonly generation: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

class StandInKafka {
  private readonly logs = new Map<string, Message[][]>();
  /** The broker's committed offsets: group → stream → offset. */
  readonly committed = new Map<string, Map<string, string>>();
  readonly commits: Commit[] = [];
  heartbeats = 0;
  leaves = 0;
  members = 0;
  generation = 0;
  /** Messages per partition in one fetch response. */
  maxPerFetch = 100;
  /** The next heartbeat answers REBALANCE_IN_PROGRESS. */
  rebalancePending = false;
  /** Runs before a commit is accepted; throw to refuse it. */
  beforeCommit: ((commits: readonly Commit[]) => void | Promise<void>) | null = null;
  /** Every consumer created, newest last (kafkajs's public `paused()` is read from it). */
  readonly consumers: Consumer[] = [];

  produce(topic: string, partition: number, messages: readonly Omit<Message, 'offset'>[], at?: number): void {
    const parts = this.logs.get(topic) ?? [];
    while (parts.length <= partition) parts.push([]);
    this.logs.set(topic, parts);
    const log = parts[partition]!;
    let next = at ?? (log.length ? log[log.length - 1]!.offset + 1 : 0);
    for (const m of messages) log.push({ ...m, offset: next++ });
  }

  topics(): string[] {
    return [...this.logs.keys()];
  }

  committedOf(group: string, stream: string): string | undefined {
    return this.committed.get(group)?.get(stream);
  }

  private partitions(topic: string): Message[][] {
    return this.logs.get(topic) ?? [];
  }

  /** The kafkajs clients our source uses: kafkajs's real consumer on this stand-in cluster. */
  clients(logger: Logger): KafkaClients {
    return {
      consumer: (config: ConsumerConfig) => {
        const consumer = createConsumer({
          cluster: this.cluster(),
          groupId: config.groupId,
          logger: createLogger({ level: LEVELS['INFO']!, logCreator: kafkaLogCreator(logger) }),
          heartbeatInterval: 20,
          sessionTimeout: 10_000,
          maxWaitTimeInMs: 10,
          retry: { retries: 3, initialRetryTime: 10, maxRetryTime: 50 },
        });
        this.consumers.push(consumer);
        return consumer;
      },
      admin: () => ({
        connect: async () => {},
        disconnect: async () => {},
        listTopics: async () => this.topics(),
        fetchOffsets: async ({ groupId, topics = [] }: { groupId: string; topics?: string[] }) =>
          topics.map((topic) => ({
            topic,
            partitions: this.partitions(topic).map((_, partition) => ({
              partition,
              offset: this.committedOf(groupId, `${topic}/${partition}`) ?? '-1',
              metadata: null,
            })),
          })),
      }) as unknown as ReturnType<KafkaClients['admin']>,
    };
  }

  /** What kafkajs's Cluster offers its consumer (the methods kafkajs/src/consumer calls). */
  private cluster(): Record<string, unknown> {
    const offsetsCache = new Map<string, Record<string, unknown>>();
    const broker = this.broker();
    return {
      connect: async () => {},
      disconnect: async () => {},
      isConnected: () => true,
      refreshMetadata: async () => {},
      refreshMetadataIfNecessary: async () => {},
      addMultipleTargetTopics: async () => {},
      metadata: async () => ({ topicMetadata: this.topics().map((topic) => ({ topic })) }),
      findGroupCoordinator: async () => broker,
      findBroker: async () => broker,
      removeBroker: () => {},
      getNodeIds: () => [0],
      findTopicPartitionMetadata: (topic: string) =>
        this.partitions(topic).map((_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 })),
      committedOffsets: ({ groupId }: { groupId: string }) => {
        if (!offsetsCache.has(groupId)) offsetsCache.set(groupId, {});
        return offsetsCache.get(groupId);
      },
      defaultOffset: ({ fromBeginning }: { fromBeginning: boolean }) => (fromBeginning ? -2 : -1),
      fetchTopicsOffset: async (topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[]) =>
        topics.map(({ topic, partitions, fromBeginning }) => ({
          topic,
          partitions: partitions.map(({ partition }) => {
            const log = this.partitions(topic)[partition] ?? [];
            const first = log.length ? log[0]!.offset : 0;
            const end = log.length ? log[log.length - 1]!.offset + 1 : 0;
            return { partition, offset: String(fromBeginning ? first : end) };
          }),
        })),
    };
  }

  private broker(): Record<string, unknown> {
    const subscriptions = new Map<string, string[]>();
    return {
      isConnected: () => true,
      joinGroup: async ({ memberId, groupProtocols }: { memberId: string; groupProtocols: { metadata: Buffer }[] }) => {
        const id = memberId || `auditql-${++this.members}`;
        subscriptions.set(id, MemberMetadata.decode(groupProtocols[0]!.metadata).topics);
        // Another member leads, so this one is told its assignment by syncGroup.
        return { generationId: ++this.generation, leaderId: 'the-leader', memberId: id, members: [], groupProtocol: 'RoundRobinAssigner' };
      },
      // This member gets every partition of the topics it subscribed to.
      syncGroup: async ({ memberId }: { memberId: string }) => ({
        memberAssignment: MemberAssignment.encode({
          version: 0,
          assignment: Object.fromEntries((subscriptions.get(memberId) ?? []).map((t) => [t, this.partitions(t).map((_, i) => i)])),
        }),
      }),
      heartbeat: async () => {
        this.heartbeats++;
        if (this.rebalancePending) {
          this.rebalancePending = false;
          throw new KafkaJSProtocolError(createErrorFromCode(REBALANCE_IN_PROGRESS));
        }
      },
      leaveGroup: async () => {
        this.leaves++;
      },
      offsetCommit: async (p: { groupId: string; groupGenerationId: number; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }) => {
        if (p.groupGenerationId !== this.generation) throw new KafkaJSProtocolError(createErrorFromCode(ILLEGAL_GENERATION));
        const commits = p.topics.flatMap((t) =>
          t.partitions.map((x) => ({ stream: `${t.topic}/${x.partition}`, offset: String(x.offset), generation: p.groupGenerationId })),
        );
        await this.beforeCommit?.(commits);
        const g = this.committed.get(p.groupId) ?? new Map<string, string>();
        this.committed.set(p.groupId, g);
        for (const c of commits) g.set(c.stream, c.offset);
        this.commits.push(...commits);
      },
      offsetFetch: async ({ groupId, topics }: { groupId: string; topics: { topic: string; partitions: { partition: number }[] }[] }) => ({
        responses: topics.map(({ topic, partitions }) => ({
          topic,
          partitions: partitions.map(({ partition }) => ({
            partition,
            offset: this.committedOf(groupId, `${topic}/${partition}`) ?? '-1',
            metadata: null,
            errorCode: 0,
          })),
        })),
      }),
      fetch: async ({ maxWaitTime, topics }: { maxWaitTime: number; topics: { topic: string; partitions: { partition: number; fetchOffset: string }[] }[] }) => {
        let any = false;
        const responses = topics.map(({ topic, partitions }) => ({
          topicName: topic,
          partitions: partitions.map(({ partition, fetchOffset }) => {
            const log = this.partitions(topic)[partition] ?? [];
            const from = Number(fetchOffset);
            const messages = log.filter((m) => m.offset >= from).slice(0, this.maxPerFetch);
            if (messages.length) any = true;
            const end = log.length ? log[log.length - 1]!.offset + 1 : 0;
            const first = messages[0]?.offset ?? from;
            return {
              partition,
              errorCode: 0,
              highWatermark: String(end),
              lastStableOffset: String(end),
              abortedTransactions: [],
              preferredReadReplica: -1,
              // A decoded RecordBatch v2 record, as kafkajs/src/protocol/recordBatch/record/v0/decoder.js builds it.
              messages: messages.map((m) => ({
                magicByte: 2,
                attributes: 0,
                timestamp: m.timestamp,
                offset: String(m.offset),
                key: m.key,
                value: m.value,
                headers: m.headers,
                isControlRecord: false,
                batchContext: {
                  firstOffset: String(first), firstTimestamp: m.timestamp, partitionLeaderEpoch: 0, inTransaction: false,
                  isControlBatch: false, lastOffsetDelta: messages.length - 1, producerId: '-1', producerEpoch: 0,
                  firstSequence: 0, maxTimestamp: m.timestamp, timestampType: 0, magicByte: 2,
                },
              })),
            };
          }),
        }));
        if (!any) await sleep(Math.min(maxWaitTime, 10)); // a long poll with nothing to return
        return { responses };
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures: kcat -J dumps, replayed at their own topic/partition/offset.

interface Envelope {
  topic: string;
  partition: number;
  offset: number;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

function envelopes(file: string): Envelope[] {
  return readFileSync(`${FIXTURES}/${file}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Envelope);
}

const DEBEZIUM_DUMP = 'debezium/kcat-pk-update.jsonl';
const MAXWELL_DUMP = 'maxwell/kcat-hash-keys.jsonl';

function produceDump(kafka: StandInKafka, file: string): Envelope[] {
  const all = envelopes(file);
  for (const e of all) {
    const headers: Record<string, Buffer> = {};
    for (let i = 0; i + 1 < (e.headers ?? []).length; i += 2) headers[e.headers![i]!] = Buffer.from(e.headers![i + 1]!);
    kafka.produce(
      e.topic,
      e.partition,
      [{ key: e.key === null ? null : Buffer.from(e.key), value: e.payload === null ? null : Buffer.from(e.payload), headers, timestamp: String(e.ts) }],
      e.offset,
    );
  }
  return all;
}

const ROUTES = parseTopicRoutes([
  { pattern: '/dbserver1\\..+/', format: 'debezium' },
  { pattern: 'maxwell', format: 'maxwell' },
]);

const CLIENT = { ...loadKafkaEnv({}), topicRefreshMs: 0 };

interface Lines extends Logger {
  readonly lines: string[];
}
function lines(): Lines {
  const out: string[] = [];
  const at = (l: string) => (m: string) => void out.push(`${l}: ${m}`);
  return { lines: out, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

interface Run {
  readonly source: KafkaSource;
  readonly pipeline: IngestPipeline;
  readonly done: Promise<unknown>;
  readonly log: Lines;
}

async function consume(
  w: TestWarehouse,
  kafka: StandInKafka,
  o: { source: string; group?: string; sink?: Sink; queueRecords?: number; concurrency?: number; topicRefreshMs?: number; batchSize?: number; routes?: typeof ROUTES; inFlight?: number },
): Promise<Run> {
  const log = lines();
  const routes = o.routes ?? ROUTES;
  const source = kafkaSource({
    brokers: ['stand-in:9092'],
    groupId: o.group ?? 'auditql-test',
    routes,
    client: {
      ...CLIENT,
      queueRecords: o.queueRecords ?? CLIENT.queueRecords,
      concurrency: o.concurrency ?? 2,
      topicRefreshMs: o.topicRefreshMs ?? 0,
    },
    checkpoints: () => readCheckpoints(w.pool, o.source),
    log,
    clients: kafka.clients(log),
    tickMs: 5,
  });
  const pipeline = new IngestPipeline({
    sourceName: o.source,
    source,
    decoderFor: await topicDecoders(routes),
    ctx: decodeContext(),
    sink: o.sink ?? new WarehouseSink(w.pool),
    batchSize: o.batchSize ?? 5000,
    flushMs: 10,
    ...(o.inFlight !== undefined ? { inFlight: o.inFlight } : {}),
    outage: { limitMs: 0 },
  });
  const done = pipeline.run();
  done.catch(() => {});
  return { source, pipeline, done, log };
}

/** Stored change rows of a source: Kafka position (without `#n`) → keys, ordered by position. */
async function storedChanges(w: TestWarehouse, source: string): Promise<{ position: string; key: unknown; operation: string; extra: Record<string, unknown> }[]> {
  const r = await w.pool.query(`select position, key, operation, extra from auditql.changes_whole where source = $1 order by position`, [source]);
  return r.rows;
}

async function count(w: TestWarehouse, source: string): Promise<number> {
  const r = await w.pool.query(
    `select (select count(*) from auditql.changes where source = $1) + (select count(*) from auditql.schema_changes where source = $1)
       + (select count(*) from auditql.transaction_events where source = $1) as n`,
    [source],
  );
  return Number(r.rows[0].n);
}

/** Positions the file source gives the same dumps: the reference a live consume must match. */
async function fileReference(w: TestWarehouse, source: string): Promise<void> {
  for (const [file, format] of [[DEBEZIUM_DUMP, 'debezium'], [MAXWELL_DUMP, 'maxwell']] as const) {
    const decoder = await loadDecoder(format);
    const pipeline = new IngestPipeline({
      sourceName: source,
      source: fileSource({ paths: [`${FIXTURES}/${file}`], logFramer: logFramerOf(decoder, decodeContext()) }),
      decoderFor: () => decoder,
      ctx: decodeContext(),
      sink: new WarehouseSink(w.pool),
    });
    await pipeline.run();
  }
}

/** A sink that waits before each write and runs a probe first (e.g. to look at the consumer meanwhile). */
function slowSink(w: TestWarehouse, delayMs: number, probe?: (batch: Batch) => void): Sink & { writes: number } {
  const sink = new WarehouseSink(w.pool);
  const s = {
    writes: 0,
    async write(batch: Batch) {
      s.writes++;
      probe?.(batch);
      await sleep(delayMs);
      return sink.write(batch);
    },
  };
  return s;
}

let w: TestWarehouse;
beforeAll(async () => {
  w = await freshWarehouse();
});
afterAll(async () => {
  await w.destroy();
});

// ---------------------------------------------------------------------------------------------------------

describe('Kafka source (kafkajs consumer, real pipeline, real PostgreSQL)', () => {
  it('stores Debezium and Maxwell topics with their keys and headers, and commits each offset only once its rows are visible', async () => {
    const kafka = new StandInKafka();
    const dumps = [...produceDump(kafka, DEBEZIUM_DUMP), ...produceDump(kafka, MAXWELL_DUMP)];
    kafka.maxPerFetch = 2; // several batches per partition
    await fileReference(w, 'reference-1');
    const expected = await storedChanges(w, 'reference-1');

    // At every commit, every record of that partition below the committed offset must already be in the
    // warehouse (or be a record that stores nothing, like a tombstone).
    const violations: string[] = [];
    kafka.beforeCommit = async (commits) => {
      for (const c of commits) {
        const [topic, partition] = c.stream.split('/');
        const below = dumps.filter((e) => e.topic === topic && String(e.partition) === partition && e.offset < Number(c.offset));
        const stored = new Set(
          (await w.pool.query(`select split_part(position, '#', 1) as p from auditql.changes where source = 'live-1'
              union select split_part(position, '#', 1) from auditql.transaction_events where source = 'live-1'`)).rows.map((r) => r.p),
        );
        for (const e of below) {
          const position = `kafka:${e.topic}/${e.partition}/${e.offset}`;
          if (e.payload !== null && !stored.has(position)) violations.push(`${c.stream}@${c.offset} before ${position} was stored`);
        }
      }
    };
    const heartbeatsBefore = kafka.heartbeats;
    const run = await consume(w, kafka, { source: 'live-1', sink: slowSink(w, 40) });
    await until('every partition committed to its end', () =>
      dumps.every((e) => Number(kafka.committedOf('auditql-test', `${e.topic}/${e.partition}`) ?? -1) > e.offset),
    );
    await run.source.stop();
    const summary = (await run.done) as { read: number; stored: number; skipped: number; skippedBy: Record<string, number> };

    expect(violations).toEqual([]);
    // Same rows as the file replay of the same dumps, keys from the Kafka key (Debezium) and extra.newkey
    // from the `__debezium.newkey` header.
    const live = await storedChanges(w, 'live-1');
    expect(live).toEqual(expected);
    expect(live.find((r) => r.position === 'kafka:dbserver1.public.customers/1/300')).toMatchObject({
      operation: 'DELETE',
      key: { id: 1011 },
      extra: { newkey: { id: 2011 } },
    });
    expect(live.find((r) => r.position === 'kafka:maxwell/0/100')?.key).toEqual({ order_id: 5001, line_no: 1 });
    // The tombstone (customers/1/301) is read and skipped, and its offset committed with the rest.
    expect(summary.read).toBe(dumps.length);
    expect(summary.skippedBy['TOMBSTONE']).toBe(1);
    expect(kafka.committedOf('auditql-test', 'dbserver1.public.customers/1')).toBe('302');
    expect(kafka.committedOf('auditql-test', 'maxwell/0')).toBe('105');
    // Warehouse checkpoints match the committed offsets.
    const cps = await readCheckpoints(w.pool, 'live-1');
    for (const [stream, offset] of kafka.committed.get('auditql-test')!) expect(cps.get(stream)).toBe(offset);
    // The handlers heartbeated while they waited for the slow warehouse.
    expect(kafka.heartbeats).toBeGreaterThan(heartbeatsBefore);
    // Offsets are committed in order, never backwards.
    const byStream = new Map<string, number>();
    for (const c of kafka.commits) {
      expect(Number(c.offset)).toBeGreaterThanOrEqual(byStream.get(c.stream) ?? 0);
      byStream.set(c.stream, Number(c.offset));
    }
    expect(kafka.leaves).toBe(1);
  });

  it('a record the warehouse refuses is dead-lettered and the partition moves past it (no stuck stream)', async () => {
    const kafka = new StandInKafka();
    const dumps = produceDump(kafka, MAXWELL_DUMP);
    const poison = dumps.find((e) => e.payload !== null && JSON.parse(e.payload).type === 'insert')!;
    const position = `kafka:${poison.topic}/${poison.partition}/${poison.offset}`;
    // The warehouse itself refuses this one record (as it would a value out of a column's range).
    await w.pool.query(`ALTER TABLE auditql.changes ADD CONSTRAINT kafka_poison CHECK (source <> 'live-poison' OR position <> '${position}')`);
    try {
      const run = await consume(w, kafka, { source: 'live-poison' });
      const last = String(Math.max(...dumps.map((e) => e.offset)) + 1);
      await until('committed past the poison record', () => kafka.committedOf('auditql-test', 'maxwell/0') === last);
      // consumer lag, as of the commit: the high watermark minus the committed offset
      expect(run.source.lag()).toContainEqual({ stream: 'maxwell/0', unit: 'records', value: 0 });
      await run.source.stop();
      const summary = (await run.done) as { read: number; stored: number; deadLettered: number };
      expect(summary).toMatchObject({ read: dumps.length, deadLettered: 1 });
      const dl = await w.pool.query(`select position, error_code, convert_from(raw_value, 'UTF8') as raw from auditql.dead_letters where source = 'live-poison'`);
      expect(dl.rows).toEqual([{ position, error_code: 'AUDITQL_UNSTORABLE_RECORD', raw: poison.payload }]);
      expect(await count(w, 'live-poison')).toBe(summary.stored);
      // A restart re-reads nothing it already has, and is not stuck on the record either.
      const again = await consume(w, kafka, { source: 'live-poison' });
      await again.source.stop();
      expect(await again.done).toMatchObject({ read: 0 });
    } finally {
      await w.pool.query('ALTER TABLE auditql.changes DROP CONSTRAINT kafka_poison');
    }
  });

  it('a failed warehouse write commits nothing; a restarted consumer re-reads the records and stores each once', async () => {
    const kafka = new StandInKafka();
    const dumps = produceDump(kafka, MAXWELL_DUMP);
    const real = new WarehouseSink(w.pool);
    let attempts = 0;
    const failing: Sink = {
      async write(batch) {
        attempts++;
        if (attempts === 1) throw Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' });
        return real.write(batch);
      },
    };
    const first = await consume(w, kafka, { source: 'live-2', sink: failing });
    await expect(first.done).rejects.toThrow(/No space left on device/);
    await sleep(50); // give a (wrong) commit every chance to happen
    expect(kafka.commits).toEqual([]);
    expect(await count(w, 'live-2')).toBe(0);
    expect(await readCheckpoints(w.pool, 'live-2')).toEqual(new Map());

    const second = await consume(w, kafka, { source: 'live-2' });
    await until('committed', () => kafka.committedOf('auditql-test', 'maxwell/0') === '105');
    await second.source.stop();
    const summary = (await second.done) as { read: number; stored: number; duplicates: number };
    expect(summary).toMatchObject({ read: dumps.length, stored: dumps.length, duplicates: 0 });
    expect(await count(w, 'live-2')).toBe(dumps.length);
  });

  it('--in-flight 3: partitions are written side by side, each committed in order and only once its rows are stored, every record once', async () => {
    const kafka = new StandInKafka();
    const rows = 60;
    for (const partition of [0, 1, 2]) {
      kafka.produce('maxwell', partition, Array.from({ length: rows }, (_, i) => ({
        key: null, value: Buffer.from(maxwellRow(100_000 * (partition + 1) + i, `p${partition}-${i}`)), headers: {}, timestamp: '1700000000000',
      })));
    }
    kafka.maxPerFetch = 10;
    // The first batch does not commit before a batch of another partition has started being written.
    let otherStarted!: () => void;
    const other = new Promise<void>((r) => { otherStarted = r; });
    let firstStream: string | null = null;
    const writing = new Map<string, number>();
    let overlapSamePartition = false;
    const real = new WarehouseSink(w.pool);
    const sink: Sink = {
      async write(batch) {
        const streams = batch.checkpoints.map((c) => c.stream);
        for (const st of streams) {
          if (writing.get(st)) overlapSamePartition = true;
          writing.set(st, (writing.get(st) ?? 0) + 1);
        }
        try {
          if (firstStream === null) {
            firstStream = streams[0]!;
            let timer: NodeJS.Timeout | undefined;
            const bound = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no second partition in flight beside the first')), 10_000); });
            try {
              await Promise.race([other, bound]);
            } finally {
              clearTimeout(timer);
            }
          } else if (!streams.includes(firstStream)) otherStarted();
          return await real.write(batch);
        } finally {
          for (const st of streams) writing.set(st, writing.get(st)! - 1);
        }
      },
    };
    const violations: string[] = [];
    kafka.beforeCommit = async (commits) => {
      for (const c of commits) {
        const [topic, partition] = c.stream.split('/');
        const r = await w.pool.query<{ n: number }>(
          `select count(*)::int as n from auditql.changes where source = 'live-inflight' and position like $1`, [`kafka:${topic}/${partition}/%`]);
        if (r.rows[0]!.n < Number(c.offset)) violations.push(`${c.stream}@${c.offset} with ${r.rows[0]!.n} rows stored`);
      }
    };
    const run = await consume(w, kafka, { source: 'live-inflight', sink, concurrency: 3, inFlight: 3, batchSize: 10 });
    await until('every partition committed to its end', () => [0, 1, 2].every((p) => kafka.committedOf('auditql-test', `maxwell/${p}`) === String(rows)));
    await run.source.stop();
    const summary = (await run.done) as { read: number; stored: number; duplicates: number };
    expect(summary).toMatchObject({ read: 3 * rows, stored: 3 * rows, duplicates: 0 });
    expect(violations).toEqual([]);
    expect(overlapSamePartition).toBe(false);
    const positions = (await w.pool.query<{ position: string }>(`select position from auditql.changes where source = 'live-inflight'`)).rows.map((r) => r.position);
    expect(new Set(positions).size).toBe(3 * rows);
    const byStream = new Map<string, number>();
    for (const c of kafka.commits) {
      expect(Number(c.offset)).toBeGreaterThanOrEqual(byStream.get(c.stream) ?? 0);
      byStream.set(c.stream, Number(c.offset));
    }
    const cps = await readCheckpoints(w.pool, 'live-inflight');
    for (const p of [0, 1, 2]) expect(cps.get(`maxwell/${p}`)).toBe(String(rows));
  });

  it('a crash between the warehouse commit and the Kafka commit: the next assignment seeks to the warehouse checkpoint and re-reads nothing', async () => {
    const kafka = new StandInKafka();
    const dumps = produceDump(kafka, MAXWELL_DUMP);
    kafka.beforeCommit = () => {
      throw new Error('connection to the group coordinator lost');
    };
    const first = await consume(w, kafka, { source: 'live-3' });
    await until('the batch stored', async () => (await readCheckpoints(w.pool, 'live-3')).get('maxwell/0') === '105');
    await first.source.stop();
    await first.done;
    expect(kafka.commits).toEqual([]);
    expect(kafka.committedOf('auditql-test', 'maxwell/0')).toBeUndefined();

    kafka.beforeCommit = null;
    const second = await consume(w, kafka, { source: 'live-3' });
    await until('the seek logged', () => second.log.lines.some((l) => /maxwell\/0: seeking to 105/.test(l)));
    kafka.produce('maxwell', 0, [{ key: Buffer.from('{"database":"shop","table":"customers","pk.customer_id":1002}'), value: Buffer.from('{"database":"shop","table":"customers","type":"insert","ts":1700002001,"xid":9105,"commit":true,"data":{"customer_id":1002,"email":"bo@example.com"}}'), headers: {}, timestamp: '1700002001000' }]);
    await until('the new record committed', () => kafka.committedOf('auditql-test', 'maxwell/0') === '106');
    await second.source.stop();
    const summary = (await second.done) as { read: number; stored: number; duplicates: number };
    // Only the new record reached the pipeline: nothing below the checkpoint was read again.
    expect(summary).toMatchObject({ read: 1, stored: 1, duplicates: 0 });
    expect(await count(w, 'live-3')).toBe(dumps.length + 1);
  });

  it('a file replay and a live consume of the same records dedupe against each other: the redelivered batch stores nothing', async () => {
    const kafka = new StandInKafka();
    const dumps = [...produceDump(kafka, DEBEZIUM_DUMP), ...produceDump(kafka, MAXWELL_DUMP)];
    await fileReference(w, 'live-4');
    const before = await count(w, 'live-4');
    const run = await consume(w, kafka, { source: 'live-4' });
    await until('every partition committed', () =>
      dumps.every((e) => Number(kafka.committedOf('auditql-test', `${e.topic}/${e.partition}`) ?? -1) > e.offset),
    );
    await run.source.stop();
    const summary = (await run.done) as { read: number; stored: number; duplicates: number; skipped: number };
    expect(summary.read).toBe(dumps.length);
    expect(summary.stored).toBe(0);
    expect(summary.duplicates).toBe(summary.read - summary.skipped);
    expect(await count(w, 'live-4')).toBe(before);
  });

  it('a rebalance while a batch is being written: the abandoned batch is not committed, the new assignment resumes at the warehouse checkpoint', async () => {
    const kafka = new StandInKafka();
    const dumps = produceDump(kafka, MAXWELL_DUMP);
    kafka.maxPerFetch = 2;
    let rebalanced = false;
    const sink = slowSink(w, 60, () => {
      if (!rebalanced) {
        rebalanced = true;
        kafka.rebalancePending = true; // the heartbeat of the handler waiting for this write fails
      }
    });
    const run = await consume(w, kafka, { source: 'live-5', sink });
    await until('committed to the end', () => kafka.committedOf('auditql-test', 'maxwell/0') === '105');
    await run.source.stop();
    const summary = (await run.done) as { read: number; stored: number; duplicates: number };
    expect(kafka.generation).toBeGreaterThanOrEqual(2);
    // Nothing was committed by the abandoned generation.
    expect(kafka.commits.every((c) => c.generation >= 2)).toBe(true);
    // Every record stored once; the first batch was not read again after the rejoin.
    expect(await count(w, 'live-5')).toBe(dumps.length);
    expect(summary).toMatchObject({ read: dumps.length, stored: dumps.length, duplicates: 0 });
  });

  it('pauses a partition while the queue is full and resumes it when the pipeline drained it', async () => {
    const kafka = new StandInKafka();
    const n = 40;
    kafka.produce(
      'maxwell',
      0,
      Array.from({ length: n }, (_, i) => ({
        key: Buffer.from(`{"database":"shop","table":"products","pk.sku":"S-${i}"}`),
        value: Buffer.from(`{"database":"shop","table":"products","type":"insert","ts":1700003000,"xid":${9200 + i},"commit":true,"data":{"sku":"S-${i}","price":${i}}}`),
        headers: {},
        timestamp: String(1700003000000 + i),
      })),
    );
    const pausedSeen: string[][] = [];
    const queueSizes: number[] = [];
    let run: Run | undefined;
    const sink = slowSink(w, 15, () => {
      const consumer = kafka.consumers[kafka.consumers.length - 1]!;
      pausedSeen.push(consumer.paused().flatMap((tp) => tp.partitions.map((p) => `${tp.topic}/${p}`)));
      queueSizes.push((run!.source as unknown as { intake: { queue: { size: number } } }).intake.queue.size);
    });
    run = await consume(w, kafka, { source: 'live-6', sink, queueRecords: 4, batchSize: 3 });
    await until('committed', () => kafka.committedOf('auditql-test', 'maxwell/0') === String(n));
    const consumer = kafka.consumers[kafka.consumers.length - 1]!;
    expect(pausedSeen.some((p) => p.includes('maxwell/0'))).toBe(true);
    expect(Math.max(...queueSizes)).toBeLessThanOrEqual(4);
    await until('resumed', () => consumer.paused().length === 0);
    await run.source.stop();
    expect(await count(w, 'live-6')).toBe(n);
  });

  it('SIGTERM: stops fetching, lets the batch in flight reach the warehouse and commit, then ends', async () => {
    const kafka = new StandInKafka();
    const n = 30;
    kafka.produce(
      'maxwell',
      0,
      Array.from({ length: n }, (_, i) => ({
        key: null,
        value: Buffer.from(`{"database":"shop","table":"orders","type":"insert","ts":1700004000,"xid":${9300 + i},"commit":true,"data":{"id":${i}}}`),
        headers: {},
        timestamp: String(1700004000000 + i),
      })),
    );
    kafka.maxPerFetch = 10;
    let writing!: () => void;
    const firstWrite = new Promise<void>((r) => (writing = r));
    const run = await consume(w, kafka, { source: 'live-7', sink: slowSink(w, 80, () => writing()), queueRecords: 5, batchSize: 5 });
    await firstWrite;
    onShutdown(() => run.source.stop());
    await shutdown(); // what SIGTERM runs (src/lifecycle.ts)
    const summary = (await run.done) as { read: number; stored: number };
    const committed = Number(kafka.committedOf('auditql-test', 'maxwell/0'));
    // Stopped mid-topic, with everything it read stored and exactly that committed.
    expect(summary.read).toBeLessThan(n);
    expect(summary.stored).toBe(summary.read);
    expect(committed).toBe(summary.read);
    expect(await count(w, 'live-7')).toBe(summary.read);
    expect(kafka.leaves).toBe(1);

    // The next consumer takes over from there: the rest, once.
    const next = await consume(w, kafka, { source: 'live-7' });
    await until('the rest committed', () => kafka.committedOf('auditql-test', 'maxwell/0') === String(n));
    await next.source.stop();
    expect(await next.done).toMatchObject({ read: n - summary.read, duplicates: 0 });
    expect(await count(w, 'live-7')).toBe(n);
  });

  it('waits for a matching topic, and subscribes to topics created later that a /regex/ matches', async () => {
    const kafka = new StandInKafka();
    const routes = parseTopicRoutes([{ pattern: '/dbserver1\\.public\\..+/', format: 'debezium' }]);
    const run = await consume(w, kafka, { source: 'live-8', routes, topicRefreshMs: 30 });
    const insert = (table: string, id: number) => ({
      key: Buffer.from(`{"id":${id}}`),
      value: Buffer.from(JSON.stringify({
        before: null, after: { id, name: `n${id}` }, op: 'c', ts_ms: 1718000000100,
        source: { version: '2.7.3.Final', connector: 'postgresql', name: 'dbserver1', ts_ms: 1718000000000, snapshot: 'false', db: 'inventory', schema: 'public', table, txId: 900 + id, lsn: 34000000 + id, xmin: null },
      })),
      headers: {},
      timestamp: '1718000000050',
    });
    await sleep(30);
    kafka.produce('dbserver1.public.customers', 0, [insert('customers', 1)]);
    kafka.produce('dbserver1.private.secrets', 0, [insert('secrets', 2)]); // not matched: /…/ is anchored
    await until('customers committed', () => kafka.committedOf('auditql-test', 'dbserver1.public.customers/0') === '1');
    kafka.produce('dbserver1.public.products', 0, [insert('products', 3)]);
    await until('products committed', () => kafka.committedOf('auditql-test', 'dbserver1.public.products/0') === '1');
    await run.source.stop();
    expect((await storedChanges(w, 'live-8')).map((r) => r.position)).toEqual([
      'kafka:dbserver1.public.customers/0/0',
      'kafka:dbserver1.public.products/0/0',
    ]);
    expect(run.log.lines.some((l) => /new topic\(s\) dbserver1\.public\.products/.test(l))).toBe(true);
  });
});

describe('topic routes', () => {
  it('literal names and anchored /regex/ patterns; the first matching route decides the format; internal topics need a literal', async () => {
    const { routeFor, selectTopics } = await import('../../src/sources/kafka/topic-routes.js');
    const routes = parseTopicRoutes([
      { pattern: 'dbserver1.transaction', format: 'debezium' },
      { pattern: '/dbserver1\\..+/', format: 'debezium' },
      { pattern: '/.+/', format: 'maxwell' },
      { pattern: '/ORDERS/i', format: 'das' },
    ]);
    expect(routeFor(routes, 'dbserver1.public.customers')?.format).toBe('debezium');
    expect(routeFor(routes, 'maxwell')?.format).toBe('maxwell');
    expect(routeFor(routes, '__consumer_offsets')).toBeUndefined();
    const anchored = parseTopicRoutes([{ pattern: '/inventory/', format: 'debezium' }]);
    expect(routeFor(anchored, 'dbserver1.inventory.customers')).toBeUndefined();
    expect(routeFor(anchored, 'inventory')?.format).toBe('debezium');
    const later = parseTopicRoutes([{ pattern: '/db\\..+/', format: 'debezium' }, { pattern: 'later', format: 'maxwell' }, { pattern: '/none.+/', format: 'maxwell' }]);
    // Only existing topics are selected; routes with none yet are reported (and matched again later).
    expect(selectTopics(later, ['db.a', 'x', '__consumer_offsets', 'db.b'])).toEqual({ topics: ['db.a', 'db.b'], unmatched: [later[1], later[2]] });
    expect(selectTopics(later, ['db.a', 'later']).topics).toEqual(['db.a', 'later']);
    expect(() => parseTopicRoutes([{ pattern: '/(/', format: 'debezium' }])).toThrow(/--topic \/\(\/=debezium: not a valid regular expression/);
    expect(() => parseTopicRoutes([{ pattern: 'dbserver1.*', format: 'debezium' }])).toThrow(/not a Kafka topic name/);
  });

  it('a record from a topic no route claims is dead-lettered, never guessed', async () => {
    const decoderFor = await topicDecoders(parseTopicRoutes([{ pattern: 'maxwell', format: 'maxwell' }]));
    const d = decoderFor({ position: 'kafka:other/0/0', value: Buffer.from('{}'), topic: 'other' });
    expect(() => d.decode({ position: 'kafka:other/0/0', value: Buffer.from('{}'), topic: 'other' }, decodeContext())).toThrow(/no --topic route/);
  });
});
