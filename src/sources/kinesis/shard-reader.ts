/**
 * Reads one shard from where its checkpoint says (AFTER_SEQUENCE_NUMBER), or from its oldest record
 * (TRIM_HORIZON), with GetRecords, until the shard ends (a reshard closed it and it was read to its last
 * record) or the reader is stopped. Throttling (ProvisionedThroughputExceededException and its kin) is
 * backed off exponentially; an expired iterator is got again after the last record read; any other error
 * (the network, the endpoint) is logged and waited out the same way.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis';
import type { SourceRecord } from '../../contracts/records.js';
import type { Logger } from '../../log.js';
import { recordPosition, shardStream } from './kinesis-names.js';
import type { KinesisApi } from './shards.js';

export interface ShardReaderOptions {
  readonly client: KinesisApi;
  readonly stream: string;
  readonly shardId: string;
  /** The shard's checkpoint: read after this sequence number; null = from the oldest record. */
  readonly after: string | null;
  /** Hand a record on; false = the reader is no longer wanted. */
  readonly push: (record: SourceRecord) => Promise<boolean>;
  readonly active: () => boolean;
  /** Resolves after `ms`, or early when the reader is stopped. */
  readonly wait: (ms: number) => Promise<void>;
  /** How long to wait after an empty GetRecords (Kinesis allows 5 calls per second per shard). */
  readonly pollMs: number;
  readonly limit: number;
  readonly log: Logger;
  /** Each GetRecords' MillisBehindLatest: how far the shard's reading is behind its tip (the source's lag). */
  readonly behind?: (ms: number) => void;
}

export type ShardReadResult =
  | { readonly ended: true; /** The last sequence number of the shard that was read (ever), or null for an empty shard. */ readonly last: string | null }
  | { readonly ended: false };

const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException']);
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 10_000;

export async function readShard(o: ShardReaderOptions): Promise<ShardReadResult> {
  let last = o.after;
  let iterator: string | undefined;
  let backoff = BACKOFF_MIN_MS;
  const where = `kinesis ${o.stream}/${o.shardId}`;
  const backOff = async (why: string) => {
    o.log.debug(`${where}: ${why}; retrying in ${backoff} ms`);
    await o.wait(backoff * (0.5 + Math.random() / 2));
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  };
  while (o.active()) {
    try {
      if (!iterator) {
        const input: GetShardIteratorCommandInput = last
          ? { StreamName: o.stream, ShardId: o.shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last }
          : { StreamName: o.stream, ShardId: o.shardId, ShardIteratorType: 'TRIM_HORIZON' };
        iterator = (await o.client.send(new GetShardIteratorCommand(input))).ShardIterator;
        if (!iterator) return { ended: true, last };
      }
      const page = await o.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: o.limit }));
      backoff = BACKOFF_MIN_MS;
      if (page.MillisBehindLatest !== undefined) o.behind?.(page.MillisBehindLatest);
      for (const r of page.Records ?? []) {
        const seq = r.SequenceNumber!;
        const pushed = await o.push({
          position: recordPosition(o.stream, o.shardId, seq),
          value: Buffer.from(r.Data ?? new Uint8Array()),
          topic: o.stream,
          ...(r.ApproximateArrivalTimestamp ? { timestamp: String(r.ApproximateArrivalTimestamp.getTime()) } : {}),
          headers: { 'kinesis.shardId': o.shardId, 'kinesis.partitionKey': r.PartitionKey ?? '', 'kinesis.sequenceNumber': seq },
          checkpoint: { stream: shardStream(o.stream, o.shardId), position: seq },
        });
        if (!pushed) return { ended: false };
        last = seq;
      }
      iterator = page.NextShardIterator;
      if (!iterator) return { ended: true, last };
      if ((page.Records ?? []).length === 0) await o.wait(o.pollMs);
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'ExpiredIteratorException') {
        iterator = undefined; // got again after the last record read
        o.log.info(`${where}: the shard iterator expired; resuming after ${last ?? 'the oldest record'}`);
      } else if (THROTTLED.has(name)) {
        await backOff(name);
      } else {
        o.log.warn(`${where}: ${name}: ${(err as Error).message}`);
        iterator = undefined;
        await backOff(name);
      }
    }
  }
  return { ended: false };
}
