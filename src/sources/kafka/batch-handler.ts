/**
 * The kafkajs `eachBatch` handler, run with `eachBatchAutoResolve: false` and `autoCommit: false`
 * (kafkajs docs "Consuming Messages" → eachBatch; types: EachBatchPayload):
 *
 * 1. Wait for the assignment's seeks (assignment.ts), then hand the batch's messages, in offset order, to
 *    the pipeline through the bounded queue. A full queue pauses this partition (partition-pauser.ts) and
 *    the handler waits for room, heartbeating.
 * 2. Stop handing over as soon as the consumer stops (`isRunning()` false: SIGTERM) or the batch went stale
 *    (`isStale()`: a seek replaced this partition's position).
 * 3. Wait — heartbeating — until the warehouse acknowledged every record handed over (DurableOffsets), and
 *    only then `resolveOffset(last)` and commit `last + 1` for this partition through
 *    `commitOffsetsIfNecessary(offsets)` (with explicit offsets kafkajs commits them at once).
 *
 * An offset is therefore never resolved or committed before the rows it covers are visible in the
 * warehouse. If the handler throws (the warehouse gave up, the group is rebalancing) nothing is resolved: kafkajs
 * fetches the batch again from the last resolved offset, and whatever was already stored is absorbed as duplicates.
 */
import type { EachBatchHandler, EachBatchPayload } from 'kafkajs';
import type { Logger } from '../../log.js';
import type { SourceRecord } from '../../contracts/records.js';
import type { DurableOffsets } from './durable-offsets.js';
import type { PartitionPauser } from './partition-pauser.js';
import type { RecordQueue } from '../record-queue.js';
import { heartbeatWhile } from './heartbeat-while.js';
import { streamOf, toSourceRecord } from './kafka-record.js';

export interface BatchHandlerDeps {
  readonly queue: RecordQueue<SourceRecord>;
  readonly offsets: DurableOffsets;
  /** Resolves when the current assignment's seeks are in place (AssignmentGate.ready). */
  readonly assignmentReady: () => Promise<void>;
  readonly pauser: PartitionPauser;
  /** How often a waiting handler heartbeats, in ms. */
  readonly tickMs: number;
  readonly log: Logger;
  /** After a commit: the partition's high watermark minus the committed offset (consumer lag, records). */
  readonly onLag?: (stream: string, records: number) => void;
}

export function createBatchHandler(d: BatchHandlerDeps): EachBatchHandler {
  return async (p: EachBatchPayload): Promise<void> => {
    const { batch } = p;
    if (batch.isEmpty()) return;
    const { topic, partition } = batch;
    const stream = streamOf(topic, partition);
    const wait = <T>(promise: Promise<T>) => heartbeatWhile(() => p.heartbeat(), promise, d.tickMs);
    const halted = () => !p.isRunning() || p.isStale() || d.queue.isClosed;

    await wait(d.assignmentReady());

    let last: string | null = null;
    handOver: for (const message of batch.messages) {
      if (halted()) break;
      while (d.queue.isFull) {
        d.pauser.pause(stream, () => p.pause());
        await wait(d.queue.space());
        if (halted()) break handOver;
      }
      const next = BigInt(message.offset) + 1n;
      d.queue.offer(toSourceRecord(topic, partition, message, d.offsets.queue(stream, next)));
      last = message.offset;
    }
    if (last === null) return;

    await wait(d.offsets.whenDurable(stream, BigInt(last) + 1n));
    if (p.isStale()) return; // a seek has set this partition's position since

    p.resolveOffset(last);
    // Resolving the batch's last message also resolves a trailing transaction control record (kafkajs
    // runner.js); commit the same position.
    const all = last === batch.messages[batch.messages.length - 1]!.offset;
    const commit = (BigInt(all ? batch.lastOffset() : last) + 1n).toString();
    await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: commit }] }] });
    d.log.debug(`kafka: ${stream}: committed ${commit}`);
    const lag = BigInt(batch.highWatermark) - BigInt(commit);
    d.onLag?.(stream, Number(lag > 0n ? lag : 0n));
  };
}
