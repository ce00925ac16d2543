/**
 * One kafkajs message → one SourceRecord. The position is `kafka:<topic>/<partition>/<offset>`, the same
 * form the file source gives a `kcat -J` envelope (src/sources/file/envelope.ts), so replaying a topic dump
 * from a file and consuming the topic live dedupe against each other in the warehouse.
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { SourceRecord } from '../../contracts/records.js';

/** The checkpoint stream of a partition: `<topic>/<partition>` (topic names cannot hold a `/`). */
export const streamOf = (topic: string, partition: number): string => `${topic}/${partition}`;

const STREAM = /^([a-zA-Z0-9._-]+)\/(\d+)$/;

/** `<topic>/<partition>` → its parts; null for streams that are not Kafka partitions. */
export function parseStream(stream: string): { topic: string; partition: number } | null {
  const m = STREAM.exec(stream);
  return m ? { topic: m[1]!, partition: Number(m[2]) } : null;
}

export const positionOf = (topic: string, partition: number, offset: string): string => `kafka:${topic}/${partition}/${offset}`;

/**
 * Kafka headers as text. kafkajs gives each value as a Buffer, or an array of Buffers when a key repeats;
 * a repeated key reads as its last value, as Kafka's `Headers.lastHeader` does. Values are decoded as UTF-8
 * (Debezium's and Maxwell's headers are text).
 */
export function headersOf(headers: IHeaders | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(headers)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    out[k] = typeof last === 'string' ? last : last.toString('utf8');
    any = true;
  }
  return any ? out : undefined;
}

/**
 * @param withCheckpoint attach `{stream: '<topic>/<partition>', position: '<offset + 1>'}`; the caller leaves
 *   it off for a record below one already queued, so a checkpoint never moves back.
 */
export function toSourceRecord(topic: string, partition: number, message: KafkaMessage, withCheckpoint: boolean): SourceRecord {
  const headers = headersOf(message.headers);
  return {
    position: positionOf(topic, partition, message.offset),
    value: message.value,
    key: message.key,
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    ...(headers ? { headers } : {}),
    ...(withCheckpoint ? { checkpoint: { stream: streamOf(topic, partition), position: (BigInt(message.offset) + 1n).toString() } } : {}),
  };
}
