/**
 * Kafka (docs/siem.md "Kafka"): each batch is one `Producer.send` to the topic, acknowledged by every
 * in-sync replica (`acks: -1`), from an idempotent producer with one request in flight
 * (`KAFKA_PRODUCER_CONFIG`), so a retried send neither duplicates nor reorders within a partition. The batch
 * counts as delivered only once `send` resolved. Message key: the entity (`database.schema.table` and the
 * key, as masked) for a change, `server/session` for activity, so one entity's or session's events keep
 * their order on one partition. Value: the event; headers: its cursor (`auditql-uid`) and format.
 * The producer is injected (kafkajs's `Producer`, or anything with its `connect`/`send`/`disconnect`).
 */
import type { Message, Producer, ProducerConfig } from 'kafkajs';
import type { Json } from '../../model/json.js';
import { qualifiedTable, type SiemInput } from '../siem-input.js';
import type { Destination, OutgoingEvent } from './destination.js';

/** The producer settings `--to kafka` uses (kafkajs docs "Producing Messages", "Idempotent"). */
export const KAFKA_PRODUCER_CONFIG: Readonly<ProducerConfig> = Object.freeze({ idempotent: true, maxInFlightRequests: 1 });

export type KafkaProducer = Pick<Producer, 'connect' | 'send' | 'disconnect'>;

export interface KafkaTopicOptions {
  readonly producer: KafkaProducer;
  readonly topic: string;
  readonly format: string;
}

/** JSON with object members in name order: the same key gives the same bytes, hence the same partition. */
function stableJson(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, Json>)[k]!)}`).join(',')}}`;
}

/** The message key: which entity a change is of, which session an activity event is from. */
export function messageKey(i: SiemInput): string {
  if (i.kind === 'change') return `${i.node.database ?? ''}.${qualifiedTable(i.node.schema, i.node.table)} ${stableJson(i.node.key)}`;
  return `${i.node.server ?? ''}/${i.node.sessionId ?? ''}`;
}

/** Reject when `signal` aborts (kafkajs's `send` takes no signal; a stop must not wait on a hung broker). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('stopped'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('stopped while waiting for the Kafka acknowledgement'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function kafkaTopic(o: KafkaTopicOptions): Destination {
  let connected: Promise<void> | null = null;
  const connect = () => {
    connected ??= o.producer.connect().catch((err: unknown) => {
      connected = null; // try again with the next attempt
      throw err;
    });
    return connected;
  };
  const message = (e: OutgoingEvent): Message => ({
    key: messageKey(e.input),
    value: JSON.stringify(e.body),
    timestamp: String(Math.trunc(e.timeMs)),
    headers: { 'auditql-uid': e.input.node.cursor, 'auditql-format': o.format, 'content-type': 'application/json' },
  });
  return {
    description: `kafka topic ${o.topic}`,
    async send(batch, signal) {
      await unlessAborted(connect(), signal);
      await unlessAborted(o.producer.send({ topic: o.topic, acks: -1, messages: batch.map(message) }), signal);
    },
    async close() {
      if (connected) await connected.then(() => o.producer.disconnect(), () => {});
      connected = null;
    },
  };
}
