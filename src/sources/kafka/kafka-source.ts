/**
 * The Kafka transport as a Source (src/sources/source.ts), with kafkajs: one consumer in the group
 * `groupId` (several auditql processes with the same group share the partitions), subscribed to the topics
 * the `--topic` routes select, feeding a KafkaIntake. Offsets: see batch-handler.ts (commit after the
 * warehouse commit) and assignment.ts (seek to the warehouse checkpoint on assignment).
 *
 * Lifecycle:
 * - `records()` connects, waits until the routes select at least one topic (Debezium creates its topics
 *   only when a connector starts: readiness, not sleep), subscribes and runs the consumer.
 * - Every `topicRefreshMs`, the routes are matched again; a newly matching topic (a new table, or a literal
 *   topic created since) restarts the consumer on the new topic list, because kafkajs resolves pattern
 *   subscriptions only once and cannot subscribe to a topic that does not exist.
 * - `stop()` (SIGTERM): stops fetching; batches in flight finish, wait for the warehouse and commit; then
 *   `records()` ends after the pipeline took what is queued, and the clients disconnect.
 * - `fail()` (the pipeline gave up): waiting handlers throw, so nothing more is committed.
 */
import { Kafka, logLevel, type Admin, type Consumer, type ConsumerConfig } from 'kafkajs';
import type { Logger } from '../../log.js';
import type { Checkpoint } from '../../contracts/records.js';
import type { Source, SourceLag } from '../../contracts/source.js';
import type { SourceRecord } from '../../contracts/records.js';
import type { KafkaEnv } from './kafka-env.js';
import { KafkaIntake } from './kafka-intake.js';
import { kafkaLogCreator } from './kafka-log.js';
import { streamOf } from './kafka-record.js';
import { selectTopics, type TopicRoute } from './topic-routes.js';

/** The kafkajs clients the source uses; tests pass kafkajs's consumer built on a stand-in cluster. */
export interface KafkaClients {
  consumer(config: ConsumerConfig): Consumer;
  admin(): Pick<Admin, 'connect' | 'disconnect' | 'listTopics' | 'fetchOffsets'>;
}

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly routes: readonly TopicRoute[];
  readonly client: Omit<KafkaEnv, 'brokers'>;
  /** This source's warehouse checkpoints (src/warehouse/sink.ts `readCheckpoints`). */
  readonly checkpoints: () => Promise<ReadonlyMap<string, string>>;
  readonly log: Logger;
  /** Default: a kafkajs `Kafka` client for `brokers` with `client`'s TLS/SASL. */
  readonly clients?: KafkaClients;
  /** How often a handler waiting for the warehouse heartbeats, in ms (default 1000). */
  readonly tickMs?: number;
}

/** How often the topic list is read again while no topic matches yet (at most). */
const TOPIC_WAIT_MS = 5000;

export class KafkaSource implements Source {
  readonly description: string;
  private readonly intake: KafkaIntake;
  private readonly clients: KafkaClients;
  private admin: ReturnType<KafkaClients['admin']> | null = null;
  private consumer: Consumer | null = null;
  private topics: readonly string[] = [];
  private refresher: NodeJS.Timeout | undefined;
  /** Serializes start, restarts on new topics, and stop. */
  private lifecycle: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private stopWaiting: (() => void) | null = null;

  constructor(private readonly o: KafkaSourceOptions) {
    this.description = `kafka ${o.routes.map((r) => r.spec.replace(/=[^=]*$/, '')).join(', ')} (group ${o.groupId})`;
    this.clients = o.clients ?? kafkaClients(o);
    this.intake = new KafkaIntake({
      checkpoints: o.checkpoints,
      committed: (topics) => this.committed(topics),
      seek: (to) => this.consumer?.seek(to),
      log: o.log,
      queueCapacity: o.client.queueRecords,
      ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
    });
  }

  async *records(): AsyncGenerator<SourceRecord> {
    await this.serially(() => this.start());
    yield* this.intake.records();
  }

  lag(): readonly SourceLag[] {
    return [...this.intake.lags].map(([stream, value]) => ({ stream, unit: 'records' as const, value }));
  }

  async acknowledge(checkpoints: readonly Checkpoint[]): Promise<void> {
    this.intake.acknowledge(checkpoints);
  }

  /** Graceful stop (SIGTERM): resolves when in-flight batches are committed and the clients disconnected. */
  stop(): Promise<void> {
    if (!this.stopping) {
      clearInterval(this.refresher);
      this.stopWaiting?.();
      this.stopping = this.serially(async () => {
        await this.consumer?.stop().catch((err: Error) => this.o.log.warn(`kafka: stopping the consumer: ${err.message}`));
        this.intake.finish();
        await this.disconnect();
      });
    }
    return this.stopping;
  }

  fail(reason: unknown): void {
    clearInterval(this.refresher);
    this.stopWaiting?.();
    this.intake.fail(reason);
    this.stopping ??= this.disconnect();
  }

  private async start(): Promise<void> {
    if (this.stopping) return;
    this.admin = this.clients.admin();
    await this.admin.connect();
    this.topics = await this.waitForTopics();
    if (this.stopping) return;
    await this.runConsumer();
    if (this.o.client.topicRefreshMs > 0) {
      this.refresher = setInterval(() => {
        this.serially(() => this.refreshTopics()).catch((err: Error) => {
          // No consumer runs any more: end the source so the command exits (and its supervisor restarts it).
          this.o.log.error(`kafka: restarting the consumer on new topics failed: ${err.message}`);
          this.fail(err);
        });
      }, this.o.client.topicRefreshMs);
      this.refresher.unref();
    }
  }

  /** The routes' topics, once at least one exists. */
  private async waitForTopics(): Promise<readonly string[]> {
    let logged = 0;
    for (;;) {
      if (this.stopping) return [];
      const { topics, unmatched } = selectTopics(this.o.routes, await this.admin!.listTopics());
      if (topics.length > 0) {
        for (const r of unmatched) this.o.log.warn(`kafka: --topic ${r.spec} matches no topic yet; it is matched again every ${this.o.client.topicRefreshMs} ms`);
        this.o.log.info(`kafka: consuming ${topics.join(', ')} as group ${this.o.groupId}`);
        return topics;
      }
      if (Date.now() - logged > 60_000) {
        logged = Date.now();
        this.o.log.info(`kafka: waiting for a topic matching ${this.o.routes.map((r) => r.spec).join(', ')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(TOPIC_WAIT_MS, this.o.client.topicRefreshMs || TOPIC_WAIT_MS));
        this.stopWaiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private async runConsumer(): Promise<void> {
    const consumer = this.clients.consumer({ groupId: this.o.groupId, allowAutoTopicCreation: false });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const a = e.payload.memberAssignment;
      const parts = Object.entries(a).map(([t, ps]) => `${t}[${ps.join(',')}]`);
      this.o.log.info(`kafka: group ${e.payload.groupId} assigned ${parts.length ? parts.join(' ') : 'no partitions'}`);
      this.intake.onGroupJoin(a);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) {
        this.o.log.warn(`kafka: consumer crashed (${e.payload.error.message}); kafkajs restarts it`);
      } else {
        this.o.log.error(`kafka: consumer crashed (${e.payload.error.message})`);
        this.fail(e.payload.error);
      }
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: this.o.client.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.client.concurrency,
      eachBatch: this.intake.eachBatch,
    });
  }

  private async refreshTopics(): Promise<void> {
    if (this.stopping || !this.admin) return;
    let topics: readonly string[];
    try {
      topics = selectTopics(this.o.routes, await this.admin.listTopics()).topics;
    } catch (err) {
      this.o.log.warn(`kafka: listing topics: ${(err as Error).message}`);
      return;
    }
    const added = topics.filter((t) => !this.topics.includes(t));
    if (added.length === 0 || this.stopping) return;
    this.o.log.info(`kafka: new topic(s) ${added.join(', ')}: restarting the consumer to subscribe`);
    const old = this.consumer;
    // In-flight batches finish and commit first (stop() waits for them); the queue and pipeline go on.
    await old?.stop();
    await old?.disconnect();
    this.topics = topics;
    if (!this.stopping) await this.runConsumer();
  }

  /** The group's committed offsets (kafkajs admin.fetchOffsets: offset "-1" when none). */
  private async committed(topics: readonly string[]): Promise<ReadonlyMap<string, bigint>> {
    const out = new Map<string, bigint>();
    if (!this.admin) return out;
    for (const t of await this.admin.fetchOffsets({ groupId: this.o.groupId, topics: [...topics] })) {
      for (const p of t.partitions) {
        if (/^\d+$/.test(p.offset)) out.set(streamOf(t.topic, p.partition), BigInt(p.offset));
      }
    }
    return out;
  }

  private async disconnect(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(step);
    this.lifecycle = next.catch(() => {});
    return next;
  }
}

function kafkaClients(o: KafkaSourceOptions): KafkaClients {
  const kafka = new Kafka({
    clientId: o.client.clientId,
    brokers: [...o.brokers],
    ssl: o.client.ssl,
    ...(o.client.sasl ? { sasl: o.client.sasl } : {}),
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(o.log),
  });
  return { consumer: (config) => kafka.consumer(config), admin: () => kafka.admin() };
}

export const kafkaSource = (o: KafkaSourceOptions): KafkaSource => new KafkaSource(o);
