/**
 * `auditql forward --to kafka` (docs/siem.md "Kafka") against a real warehouse. No broker can run on these
 * machines, so the destination is given a producer implementing kafkajs's `Producer.send` contract: it
 * takes real `ProducerRecord`s, answers `RecordMetadata[]`, and fails as kafkajs does (`KafkaJSError`,
 * `KafkaJSProtocolError` with `retriable`). The cursor moves only after `send` resolved; failed sends are
 * retried with the same messages; a forwarder stopped while a send hangs loses nothing on restart, and the
 * only duplicates are of the batch whose acknowledgement never came.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaJSError, KafkaJSProtocolError, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { until } from '../helpers/until.js';
import { mkActivity, mkChange, store } from '../graphql/seed.js';
import { Forwarder } from '../../src/siem/forward/forwarder.js';
import { KAFKA_PRODUCER_CONFIG, kafkaTopic, type KafkaProducer } from '../../src/siem/forward/kafka-topic.js';
import { kafkaProducer } from '../../src/siem/forward/kafka-producer.js';
import { EVERYTHING } from '../../src/siem/feed-events.js';
import { BUILTIN_POLICY } from '../../src/policy/load-policy.js';
import { roleView } from '../../src/policy/role-view.js';
import { forwarderLags } from '../../src/warehouse/queries/forwarders.js';
import { feedHead } from '../../src/warehouse/queries/feed.js';
import { destinationOf, parseForwardArgs } from '../../src/cli/commands/forward.js';
import { loadKafkaEnv } from '../../src/sources/kafka/kafka-env.js';
import { silentLogger } from '../../src/log.js';

/** A broker as kafkajs's producer reports it: records it stored, failures it throws, a gate to hold acks. */
class TestProducer implements KafkaProducer {
  /** Every record `send` was called with. */
  readonly attempts: ProducerRecord[] = [];
  /** Records the broker stored (whether or not the ack reached the caller). */
  readonly stored: ProducerRecord[] = [];
  readonly failures: Error[] = [];
  /** While set, a stored record's acknowledgement waits for it. */
  gate: Promise<void> | null = null;
  /** Store, then hang forever: the ack is lost (the process dies before it). */
  loseAckAfter = Number.POSITIVE_INFINITY;
  connects = 0;
  disconnects = 0;
  private offset = 0;

  async connect(): Promise<void> {
    this.connects++;
  }
  async disconnect(): Promise<void> {
    this.disconnects++;
  }
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.attempts.push(record);
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.stored.push(record);
    if (this.stored.length > this.loseAckAfter) await new Promise(() => {});
    if (this.gate) await this.gate;
    const baseOffset = String(this.offset);
    this.offset += record.messages.length;
    return [{ topicName: record.topic, partition: 0, errorCode: 0, baseOffset, logAppendTime: '-1', logStartOffset: '0' }];
  }
}

let w: TestWarehouse;
beforeAll(async () => {
  w = await freshWarehouse();
});
afterAll(async () => {
  await w?.destroy();
});

const uidsOf = (records: readonly ProducerRecord[]) => records.flatMap((r) => r.messages.map((m) => String(m.headers!['auditql-uid'])));
const lagOf = async (name: string) => (await forwarderLags(w.db)).find((f) => f.name === name)!;

function forwarder(name: string, producer: TestProducer, batchSize = 4): Forwarder {
  return new Forwarder({
    name, db: w.db, destination: kafkaTopic({ producer, topic: 'audit.events', format: 'ocsf' }), destinationKind: 'kafka', format: 'ocsf',
    filter: EVERYTHING, view: roleView(BUILTIN_POLICY, 'siem')!, log: silentLogger, batchSize, flushMs: 20,
  });
}

it('sends keyed messages with acks -1, moves the cursor only after send resolved, and retries kafkajs failures', async () => {
  await store(w, [
    mkChange({ table: 'orders', key: { id: 1, region: 'eu' }, before: null, after: { id: 1, email: 'k@example.com' }, operation: 'INSERT' }),
    mkChange({ table: 'orders', key: { region: 'eu', id: 1 }, before: { id: 1 }, after: { id: 1, total: 2 }, operation: 'UPDATE' }),
    mkActivity({ sessionId: 'sess-9', commandText: "select 'lit'" }),
    mkChange({ table: 'orders', key: { id: 2, region: 'us' }, before: null, after: { id: 2 }, operation: 'INSERT' }),
    mkActivity({ sessionId: 'sess-9' }),
    mkActivity({ sessionId: 'sess-10' }),
  ]);
  const head = await feedHead(w.db);
  const p = new TestProducer();
  p.failures.push(
    new KafkaJSError('Connection error: connect ECONNREFUSED', { retriable: true }),
    new KafkaJSProtocolError({ message: 'This server is not the leader for that topic-partition', type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true } as unknown as Error),
  );
  let open!: () => void;
  p.gate = new Promise((r) => { open = r; });
  const f = forwarder('kafka1', p);
  void f.start();
  await until('two failures and a held send', () => p.attempts.length === 3 && p.stored.length === 1);
  // stored by the broker, not yet acknowledged: the cursor has not moved
  let row = await lagOf('kafka1');
  expect(row.ackedSeq).toBe('0');
  expect(row.lastErrorCode).toBe('KAFKA_NOT_LEADER_FOR_PARTITION');
  // retried with the same messages
  expect(p.attempts[1]).toEqual(p.attempts[0]);
  expect(p.attempts[2]).toEqual(p.attempts[0]);
  open();
  await until('everything acknowledged', async () => (await lagOf('kafka1')).ackedSeq === head);
  row = await lagOf('kafka1');
  expect(row.lastErrorCode).toBeNull();
  expect(row.ackedEvents).toBe('6');
  await f.stop();
  expect(p.disconnects).toBe(1);

  const messages = p.stored.flatMap((r) => r.messages);
  expect(p.stored.every((r) => r.topic === 'audit.events' && r.acks === -1)).toBe(true);
  expect(p.stored.map((r) => r.messages.length)).toEqual([4, 2]);
  // one entity, one key, whatever the order of its key columns; activity by server/session (feed order:
  // the sink gave this batch's changes their seqs before its activity)
  expect(messages.map((m) => m.key)).toEqual([
    'shop.public.orders {"id":1,"region":"eu"}', 'shop.public.orders {"id":1,"region":"eu"}', 'shop.public.orders {"id":2,"region":"us"}',
    'pg1/sess-9', 'pg1/sess-9', 'pg1/sess-10',
  ]);
  for (const m of messages) {
    const event = JSON.parse(String(m.value)) as { metadata: { uid: string }; time: number };
    expect(m.headers!['auditql-uid']).toBe(event.metadata.uid);
    expect(m.timestamp).toBe(String(event.time));
  }
  // masked as the siem role: the email never reaches the topic
  expect(JSON.stringify(messages)).not.toContain('k@example.com');
});

it('a forwarder stopped while a send hangs loses nothing on restart; duplicates only the unacknowledged batch', async () => {
  await store(w, Array.from({ length: 10 }, (_, i) => mkChange({ table: 'items', key: { id: i }, before: null, after: { id: i }, operation: 'INSERT' })));
  const head = await feedHead(w.db);
  const first = new TestProducer();
  first.loseAckAfter = 1; // the second batch is stored by the broker, its ack never arrives
  const f1 = forwarder('kafka2', first, 5);
  void f1.start();
  await until('the second batch stored, its ack pending', () => first.stored.length === 2);
  await f1.stop(); // does not wait on the hung send
  const acked = await lagOf('kafka2');
  expect(BigInt(acked.ackedSeq)).toBeLessThan(BigInt(head));

  const second = new TestProducer();
  const f2 = forwarder('kafka2', second, 5);
  void f2.start();
  await until('the rest acknowledged', async () => (await lagOf('kafka2')).ackedSeq === head);
  await f2.stop();

  const all = [...uidsOf(first.stored), ...uidsOf(second.stored)];
  const distinct = new Set(all);
  expect(distinct.size).toBe(16); // the 6 events of the first test and these 10
  const dups = all.filter((u, i) => all.indexOf(u) !== i);
  expect(new Set(dups)).toEqual(new Set(uidsOf([first.stored[1]!])));
});

it('the CLI builds an idempotent kafkajs producer with one request in flight, brokers from --brokers', () => {
  expect(KAFKA_PRODUCER_CONFIG).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
  const real = kafkaProducer(['127.0.0.1:9'], loadKafkaEnv({}), silentLogger);
  expect(real.isIdempotent()).toBe(true);
  expect(() => parseForwardArgs(['--name', 'k', '--to', 'kafka'])).toThrow(/--to kafka needs --topic/);
  expect(() => parseForwardArgs(['--name', 'k', '--to', 'kafka', '--topic', 't', '--brokers', 'nope'])).toThrow(/--brokers: "nope" is not HOST:PORT/);
  const a = parseForwardArgs(['--name', 'k', '--to', 'kafka', '--topic', 'audit.events', '--brokers', 'k1:9092,k2:9092']);
  let brokers: readonly string[] = [];
  const d = destinationOf(a, silentLogger, (b) => { brokers = b; return new TestProducer(); });
  expect(brokers).toEqual(['k1:9092', 'k2:9092']);
  expect(d.description).toBe('kafka topic audit.events');
});
