/** Where Kinesis records and shards are named in the warehouse (docs/sources/kinesis.md "Positions"). */

/** The checkpoint stream (and lease) of a shard: `kinesis:<stream>/<shardId>`. */
export const shardStream = (stream: string, shardId: string) => `kinesis:${stream}/${shardId}`;

/** A record's position, unique per source and stable across redelivery: `kinesis:<stream>/<shardId>/<sequenceNumber>`. */
export const recordPosition = (stream: string, shardId: string, sequenceNumber: string) => `kinesis:${stream}/${shardId}/${sequenceNumber}`;

/** The lease row that says a process is alive and shares the stream (it reads no shard). */
export const memberLease = (stream: string, owner: string) => `kinesis:${stream}/member:${owner}`;
export const isMemberLease = (name: string) => /\/member:[^/]*$/.test(name);
