/**
 * The shards of a stream and which may be read now: a shard whose parents (a split's parent, a merge's two
 * parents) are still listed and not finished waits, so a key's records are read in order across a reshard.
 * A parent no longer listed has aged out of the stream's retention: nothing of it is left to read.
 */
import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';

export interface ShardInfo {
  readonly shardId: string;
  readonly parents: readonly string[];
}

export type KinesisApi = Pick<KinesisClient, 'send'>;

export async function listShards(client: KinesisApi, stream: string): Promise<ShardInfo[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    // NextToken and StreamName are mutually exclusive in ListShards.
    const page = await client.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream }));
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return shards.map((s) => ({
    shardId: s.ShardId!,
    parents: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => typeof p === 'string'),
  }));
}

/** Shards that are not finished and whose listed parents all are. */
export function readableShards(shards: readonly ShardInfo[], finished: (shardId: string) => boolean): ShardInfo[] {
  const listed = new Set(shards.map((s) => s.shardId));
  return shards.filter((s) => !finished(s.shardId) && s.parents.every((p) => !listed.has(p) || finished(p)));
}
