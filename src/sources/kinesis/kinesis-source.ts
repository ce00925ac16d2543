/**
 * A Kinesis Data Stream as a Source (docs/sources/kinesis.md). Every process reading one stream under one
 * `--source` shares its shards through leases in the warehouse (src/warehouse/shard-leases.ts, injected):
 * each tick (a third of the lease time) a process renews its leases, marks the closed shards it finished,
 * lists the shards, and takes free readable shards up to its fair share (readable: not finished, parents
 * finished — shards.ts); a process holding more than its share hands the extra back once what it read of
 * them is stored. A shard resumes after its checkpoint, read from the warehouse when its lease is taken.
 *
 * Lifecycle:
 * - `records()` starts the ticks and yields what the shard readers hand on, through a bounded queue.
 * - `acknowledge()` learns what the warehouse stored, per shard.
 * - `stop()` (SIGTERM): readers stop; what was read is written and acknowledged; then each lease is released.
 * - `fail()` (the pipeline gave up) and a process that dies: nothing is released; the leases expire and
 *   other processes resume the shards from their checkpoints. Duplicates cannot arise: positions are unique.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Checkpoint, SourceRecord } from '../../contracts/records.js';
import type { Source, SourceLag } from '../../contracts/source.js';
import type { Logger } from '../../log.js';
import type { ShardLeases } from '../../warehouse/shard-leases.js';
import { RecordQueue } from '../record-queue.js';
import { isMemberLease, memberLease, shardStream } from './kinesis-names.js';
import { listShards, readableShards, type KinesisApi } from './shards.js';
import { ShardTask } from './shard-task.js';

export interface KinesisSourceOptions {
  readonly client: KinesisApi;
  readonly stream: string;
  readonly leases: ShardLeases;
  /** This source's warehouse checkpoints (src/warehouse/sink.ts `readCheckpoints`). */
  readonly checkpoints: () => Promise<ReadonlyMap<string, string>>;
  /** Who this process is in the lease table (default host:pid:random). */
  readonly owner?: string;
  /** How long a lease lasts unrenewed (default 30 s): how soon another process takes over a dead one's shards. */
  readonly leaseMs?: number;
  /** Wait after an empty GetRecords (default 1000 ms). */
  readonly pollMs?: number;
  /** GetRecords Limit (default 1000). */
  readonly limit?: number;
  readonly log: Logger;
}

export interface KinesisSource extends Source {
  readonly owner: string;
  /** The shards this process reads now. */
  shards(): string[];
  lag(): readonly SourceLag[];
}

export function kinesisSource(o: KinesisSourceOptions): KinesisSource {
  const owner = o.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = o.leaseMs ?? 30_000;
  const tickMs = Math.max(50, Math.floor(leaseMs / 3));
  const member = memberLease(o.stream, owner);
  const queue = new RecordQueue<SourceRecord>(Math.max(o.limit ?? 1000, 100));
  const tasks = new Map<string, ShardTask>(); // by checkpoint stream
  let started = false;
  let stopping = false;
  let failed = false;
  let lastRenewed = Date.now();
  let wake: (() => void) | null = null;
  let loop: Promise<void> = Promise.resolve();
  // Ticks and settling run one at a time: a renewal must never extend a lease that settling just released.
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = lock.then(fn, fn);
    lock = next.catch(() => {});
    return next;
  };

  const start = (shardId: string, after: string | null) => {
    const task = new ShardTask(shardId, shardStream(o.stream, shardId), after);
    tasks.set(task.name, task);
    o.log.info(`kinesis ${o.stream}: reading ${shardId} ${after ? `after ${after}` : 'from its oldest record'}`);
    void task
      .run({ client: o.client, stream: o.stream, pollMs: o.pollMs ?? 1000, limit: o.limit ?? 1000, log: o.log, push: (r, wanted) => queue.push(r, wanted) })
      .catch((err) => o.log.error(`kinesis ${o.stream}/${shardId}: ${(err as Error).message}`))
      .finally(() => wake?.()); // an ended shard may let its children start: tick now
  };

  /** Finish ended shards, hand back shards left or stopped once what was read of them is stored. */
  const settle = () => exclusive(settleNow);
  const settleNow = async () => {
    for (const t of [...tasks.values()]) {
      if (t.finished) {
        await o.leases.finish(t.name, owner);
        tasks.delete(t.name);
        o.log.info(`kinesis ${o.stream}: ${t.shardId} read to its end`);
      } else if (t.state === 'leaving' && t.settled) {
        await o.leases.release(t.name, owner);
        tasks.delete(t.name);
      }
    }
    if (stopping && tasks.size === 0) await o.leases.release(member, owner);
  };

  const tick = () => exclusive(tickNow);
  const tickNow = async () => {
    if (stopping && tasks.size === 0) return;
    let held: Set<string>;
    try {
      held = await o.leases.renew([...tasks.keys(), member], owner, leaseMs);
      lastRenewed = Date.now();
    } catch (err) {
      // The warehouse is away: once our leases may have expired, others may read our shards: stop reading.
      if (Date.now() - lastRenewed > leaseMs * 0.8) for (const t of tasks.values()) t.stop();
      throw err;
    }
    for (const t of tasks.values()) {
      if (!held.has(t.name) && t.state !== 'ended') {
        o.log.warn(`kinesis ${o.stream}: lost the lease of ${t.shardId}`);
        t.stop();
      }
    }
    if (!held.has(member)) await o.leases.acquire(member, owner, leaseMs);
    await settleNow();
    if (stopping) return;

    const [shards, rows] = await Promise.all([listShards(o.client, o.stream), o.leases.list()]);
    const finished = new Set(rows.filter((r) => r.finished).map((r) => r.shard));
    const takenByOthers = new Set(rows.filter((r) => r.live && r.owner !== owner && !r.finished).map((r) => r.shard));
    const members = new Set(rows.filter((r) => r.live && isMemberLease(r.shard)).map((r) => r.owner)).add(owner);
    const readable = readableShards(shards, (id) => finished.has(shardStream(o.stream, id)));
    const share = Math.ceil(readable.length / members.size);
    const mine = [...tasks.values()].filter((t) => t.state === 'reading');
    for (const t of mine.slice(share)) {
      o.log.info(`kinesis ${o.stream}: handing ${t.shardId} to another process (${members.size} share ${readable.length} shards)`);
      t.stop();
    }
    let count = Math.min(mine.length, share);
    for (const s of readable) {
      if (count >= share) break;
      const name = shardStream(o.stream, s.shardId);
      if (tasks.has(name) || takenByOthers.has(name)) continue;
      if (!(await o.leases.acquire(name, owner, leaseMs))) continue;
      start(s.shardId, (await o.checkpoints()).get(name) ?? null);
      count++;
    }
  };

  const run = async () => {
    while (!failed && !(stopping && tasks.size === 0)) {
      try {
        await tick();
      } catch (err) {
        o.log.warn(`kinesis ${o.stream}: ${(err as Error).name}: ${(err as Error).message}; retrying`);
      }
      if (failed || (stopping && tasks.size === 0)) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, tickMs);
        wake = () => { clearTimeout(t); resolve(); };
      });
      wake = null;
    }
  };

  return {
    description: `kinesis ${o.stream}`,
    owner,
    shards: () => [...tasks.values()].filter((t) => t.state !== 'leaving').map((t) => t.shardId).sort(),
    records() {
      if (!started) {
        started = true;
        loop = run();
      }
      return queue.drain();
    },
    /** Per shard read here, the last GetRecords' MillisBehindLatest, in seconds. */
    lag: (): readonly SourceLag[] => [...tasks.values()]
      .filter((t) => t.state === 'reading' && t.behindMs !== undefined)
      .map((t) => ({ stream: t.name, unit: 'seconds' as const, value: t.behindMs! / 1000 })),
    async acknowledge(checkpoints: readonly Checkpoint[]) {
      for (const cp of checkpoints) {
        const t = tasks.get(cp.stream);
        if (t) t.stored = cp.position;
      }
      if ([...tasks.values()].some((t) => t.finished || (t.state === 'leaving' && t.settled))) {
        await settle().catch((err) => o.log.warn(`kinesis ${o.stream}: ${(err as Error).message}`));
        if (!stopping) wake?.();
      }
    },
    async stop() {
      stopping = true;
      for (const t of tasks.values()) t.stop();
      queue.close();
      wake?.();
      // Leases of shards with nothing in flight go now; the rest as their last batch is acknowledged.
      await settle().catch((err) => o.log.warn(`kinesis ${o.stream}: ${(err as Error).message}`));
    },
    fail(reason: unknown) {
      failed = true;
      for (const t of tasks.values()) t.stop();
      queue.fail(reason);
      wake?.();
      void loop;
    },
  };
}
