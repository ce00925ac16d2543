/**
 * Partition assignment (kafkajs `consumer.group_join`, on start and after every rebalance): before any
 * record of the new assignment reaches the pipeline, wait until what this process already queued is
 * durable, then read the warehouse checkpoints and seek every assigned partition whose warehouse checkpoint
 * is ahead of the group's committed offset.
 *
 * Why: offsets are committed to Kafka only after the warehouse committed (batch-handler.ts), so the window
 * between the two commits — a crash, a failed commit, a rebalance that revoked the partition while its batch
 * was being written — leaves Kafka behind the warehouse. The warehouse checkpoint is written in the batch's
 * own transaction, so it is never behind what was stored: seeking to it re-reads nothing that is already
 * there. (Anything re-read anyway — e.g. by another group member that took the partition while this one was
 * still writing — is absorbed by the warehouse's (source, position) unique key.)
 */
import type { IMemberAssignment, TopicPartitionOffset } from 'kafkajs';
import type { Logger } from '../../log.js';
import type { DurableOffsets } from './durable-offsets.js';
import { streamOf } from './kafka-record.js';

export interface AssignmentDeps {
  /** This source's warehouse checkpoints: stream → next offset (src/warehouse/sink.ts `readCheckpoints`). */
  readonly checkpoints: () => Promise<ReadonlyMap<string, string>>;
  /** The group's committed offsets for these topics: stream → next offset; absent when none. */
  readonly committed: (topics: readonly string[]) => Promise<ReadonlyMap<string, bigint>>;
  /** kafkajs `consumer.seek`. */
  readonly seek: (to: TopicPartitionOffset) => void;
  readonly offsets: DurableOffsets;
  readonly log: Logger;
}

/** The seeks an assignment needs: partitions whose warehouse checkpoint is ahead of the committed offset. */
export function planSeeks(
  assignment: IMemberAssignment,
  warehouse: ReadonlyMap<string, string>,
  committed: ReadonlyMap<string, bigint>,
): TopicPartitionOffset[] {
  const seeks: TopicPartitionOffset[] = [];
  for (const [topic, partitions] of Object.entries(assignment)) {
    for (const partition of partitions) {
      const stream = streamOf(topic, partition);
      const w = warehouse.get(stream);
      if (w === undefined || !/^\d{1,19}$/.test(w)) continue;
      const c = committed.get(stream);
      if (c === undefined || BigInt(w) > c) seeks.push({ topic, partition, offset: w });
    }
  }
  return seeks;
}

/** Gates batch handlers on the latest assignment's seeks. */
export class AssignmentGate {
  private assignment: IMemberAssignment | null = null;
  private generation = 0;
  /** The current assignment's sync; null after it failed (ready() starts another). */
  private sync: Promise<void> | null = Promise.resolve();

  constructor(private readonly deps: AssignmentDeps) {}

  /** kafkajs `consumer.group_join`: called synchronously, before the first fetch of the assignment. */
  assigned(assignment: IMemberAssignment): void {
    this.assignment = assignment;
    this.sync = this.run(assignment, ++this.generation);
    this.sync.catch(() => {
      // Logged in run(); the next ready() tries again.
    });
  }

  /** Resolves when the current assignment's seeks are in place; a failed attempt is retried here. */
  ready(): Promise<void> {
    if (this.sync === null && this.assignment) {
      this.sync = this.run(this.assignment, this.generation);
    }
    return this.sync ?? Promise.resolve();
  }

  private async run(assignment: IMemberAssignment, generation: number): Promise<void> {
    try {
      await this.deps.offsets.settled();
      const topics = Object.keys(assignment).filter((t) => (assignment[t] ?? []).length > 0);
      if (topics.length === 0) return;
      const [warehouse, committed] = await Promise.all([this.deps.checkpoints(), this.deps.committed(topics)]);
      for (const s of planSeeks(assignment, warehouse, committed)) {
        const stream = streamOf(s.topic, s.partition);
        const c = committed.get(stream);
        this.deps.log.info(
          `kafka: ${stream}: seeking to ${s.offset}, the warehouse checkpoint ` +
            (c === undefined ? '(the group has no committed offset)' : `(ahead of the committed offset ${c})`),
        );
        this.deps.seek(s);
      }
    } catch (err) {
      if (generation === this.generation) this.sync = null;
      this.deps.log.warn(`kafka: could not apply warehouse checkpoints on assignment: ${(err as Error).message}`);
      throw err;
    }
  }
}
