/**
 * kinesalite (a Kinesis API on LevelDB, here in memory) started by the test on 127.0.0.1 and a port the OS
 * picked, with a client for it, and the stream operations tests need, each waiting for the stream to be
 * ACTIVE again (readiness, never a sleep).
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand,
  type KinesisClient, type Shard,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../src/sources/kinesis/kinesis-client.js';
import { until } from './until.js';

const require = createRequire(import.meta.url);
const kinesalite = require('kinesalite') as (o: { createStreamMs: number; updateStreamMs: number; deleteStreamMs: number }) => Server;

export interface Kinesalite {
  readonly endpoint: string;
  readonly client: KinesisClient;
  createStream(name: string, shards: number): Promise<void>;
  put(stream: string, records: readonly { key: string; data: string }[]): Promise<void>;
  shards(stream: string): Promise<Shard[]>;
  split(stream: string, shardId: string): Promise<void>;
  merge(stream: string, shardId: string, adjacent: string): Promise<void>;
  close(): Promise<void>;
}

export async function startKinesalite(): Promise<Kinesalite> {
  // The SDK's credential chain and region, for a server that checks neither.
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  process.env.AWS_REGION ??= 'us-east-1';
  const server = kinesalite({ createStreamMs: 0, updateStreamMs: 0, deleteStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createKinesisClient({ endpoint, region: 'us-east-1' });
  const active = (stream: string) =>
    until(`stream ${stream} ACTIVE`, async () =>
      (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE');
  const shards = async (stream: string) => (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  return {
    endpoint,
    client,
    async createStream(name, count) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: count }));
      await active(name);
    },
    async put(stream, records) {
      for (let i = 0; i < records.length; i += 500) {
        const r = await client.send(new PutRecordsCommand({
          StreamName: stream,
          Records: records.slice(i, i + 500).map((x) => ({ PartitionKey: x.key, Data: Buffer.from(x.data) })),
        }));
        if (r.FailedRecordCount) throw new Error(`${r.FailedRecordCount} records not put`);
      }
    },
    shards,
    async split(stream, shardId) {
      const s = (await shards(stream)).find((x) => x.ShardId === shardId)!;
      const mid = (BigInt(s.HashKeyRange!.StartingHashKey!) + BigInt(s.HashKeyRange!.EndingHashKey!)) / 2n;
      await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: mid.toString() }));
      await active(stream);
    },
    async merge(stream, shardId, adjacent) {
      await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: shardId, AdjacentShardToMerge: adjacent }));
      await active(stream);
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
