/**
 * Kafka-style envelopes in files, as `kcat -J` prints them (docs/configuration.md "`auditql ingest` flags", `--from file`):
 * `{"topic","partition","offset","tstype","ts","broker","headers":["k","v",…],"key","payload"}`; other
 * tools write `value` instead of `payload`, or headers as an object. Anything else is a bare record value.
 */
import * as crypto from 'node:crypto';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import type { RawRecord } from '../../contracts/records.js';
import { isPlainObject } from '../../model/json.js';
import { isStorableText, isWellFormed } from '../../model/storable-text.js';


// crypto.hash (Node 20.12+) hashes in one call, without a Hash object per record.
const sha256Hex: (bytes: Buffer) => string = typeof crypto.hash === 'function'
  ? (bytes) => crypto.hash('sha256', bytes, 'hex')
  : (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

export function contentPosition(bytes: Buffer): string {
  return 'sha256:' + sha256Hex(bytes);
}

/** Envelopes name their topic near the start: only a `"topic"` beginning in the first bytes counts. */
const TOPIC_WITHIN = 700;

function toBytes(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.from(stringifyLossless(v) ?? 'null', 'utf8');
}

function toHeaders(h: unknown): Record<string, string> | undefined {
  if (Array.isArray(h)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < h.length; i += 2) out[String(h[i])] = h[i + 1] === null ? '' : String(h[i + 1]);
    return out;
  }
  if (isPlainObject(h)) {
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  return undefined;
}

// Text the warehouse stores as-is (positions, topic, header names and values): no control characters
// (PostgreSQL text cannot hold U+0000; the others have no business in a topic or offset) and no lone surrogates.
const CONTROL = /[\u0000-\u001f\u007f]/;
const storableText = (s: string) => !CONTROL.test(s) && isWellFormed(s);
const MAX_PARTITION = 2 ** 31 - 1;

/** Why an envelope's metadata cannot be stored, or null when it can. */
function envelopeProblem(topic: string, partition: number | undefined, offset: string | undefined, headers: Record<string, string> | undefined): string | null {
  if (topic === '' || !storableText(topic)) return "the Kafka envelope's topic is empty or holds a control character or an invalid code point";
  if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0 && partition <= MAX_PARTITION)) {
    return "the Kafka envelope's partition is not an integer from 0 to 2147483647";
  }
  if (offset !== undefined && !/^[0-9]{1,20}$/.test(offset)) return "the Kafka envelope's offset is not a non-negative integer";
  if (headers && !Object.entries(headers).every(([k, v]) => storableText(k) && isStorableText(v))) {
    return "a Kafka envelope header holds a NUL character or an invalid code point";
  }
  return null;
}

/**
 * Turn one item of a file into a RawRecord: an envelope's value/key/headers, or the item as the value. An
 * envelope whose topic, partition, offset or headers cannot be stored becomes an unframable record (the
 * whole item as its bytes, `framingError` saying which field), so the pipeline dead-letters it.
 */
export function itemToRecord(item: Buffer): RawRecord {
  // Cheap sniff first (a native byte search): envelopes name their topic near the start.
  const topicAt = item[0] === 0x7b ? item.subarray(0, TOPIC_WITHIN + 6).indexOf('"topic"') : -1;
  if (topicAt >= 0 && topicAt < TOPIC_WITHIN) {
    let parsed: unknown;
    try {
      parsed = parseLossless(item.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (isPlainObject(parsed) && typeof parsed['topic'] === 'string' && ('payload' in parsed || 'value' in parsed)) {
      const value = toBytes('payload' in parsed ? parsed['payload'] : parsed['value']);
      const partition = parsed['partition'] === undefined ? undefined : Number(String(parsed['partition']));
      const offset = parsed['offset'] === undefined ? undefined : String(parsed['offset']);
      const ts = parsed['ts'] ?? parsed['timestamp'];
      const headers = toHeaders(parsed['headers']);
      const problem = envelopeProblem(parsed['topic'], partition, offset, headers);
      if (problem !== null) return { position: contentPosition(item), value: item, framingError: problem };
      const position =
        partition !== undefined && offset !== undefined
          ? `kafka:${parsed['topic']}/${partition}/${offset}`
          : contentPosition(item);
      return {
        position,
        value,
        key: toBytes(parsed['key']),
        topic: parsed['topic'],
        ...(partition !== undefined ? { partition } : {}),
        ...(offset !== undefined ? { offset } : {}),
        ...(ts !== undefined && ts !== null ? { timestamp: String(ts) } : {}),
        ...(headers ? { headers } : {}),
      };
    }
  }
  return { position: contentPosition(item), value: item };
}
