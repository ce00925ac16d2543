/**
 * The transport core of the Kafka source, with no kafkajs client in it: the `eachBatch` handler, the
 * assignment gate, the bounded queue the pipeline reads, and the durable offsets the pipeline acknowledges.
 * kafka-source.ts wires it to a kafkajs consumer; tests drive `eachBatch` with kafkajs's own batch objects.
 */
import type { EachBatchHandler, IMemberAssignment, TopicPartitionOffset } from 'kafkajs';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Checkpoint } from '../../contracts/records.js';
import type { SourceRecord } from '../../contracts/records.js';
import { AssignmentGate } from './assignment.js';
import { createBatchHandler } from './batch-handler.js';
import { DurableOffsets } from './durable-offsets.js';
import { PartitionPauser } from './partition-pauser.js';
import { RecordQueue } from '../record-queue.js';

export interface KafkaIntakeOptions {
  /** This source's warehouse checkpoints: stream → next offset. */
  readonly checkpoints: () => Promise<ReadonlyMap<string, string>>;
  /** The group's committed offsets for these topics: stream → next offset; absent when none. */
  readonly committed: (topics: readonly string[]) => Promise<ReadonlyMap<string, bigint>>;
  readonly seek: (to: TopicPartitionOffset) => void;
  readonly log: Logger;
  /** Records queued between Kafka and the pipeline at most (default 10000). */
  readonly queueCapacity?: number;
  /** How often a waiting handler heartbeats, in ms (default 1000). */
  readonly tickMs?: number;
}

export class KafkaIntake {
  readonly queue: RecordQueue<SourceRecord>;
  readonly offsets = new DurableOffsets();
  readonly pauser = new PartitionPauser();
  readonly eachBatch: EachBatchHandler;
  private readonly gate: AssignmentGate;

  constructor(o: KafkaIntakeOptions) {
    this.queue = new RecordQueue<SourceRecord>(o.queueCapacity ?? 10_000, { onLow: () => this.pauser.resumeAll() });
    this.gate = new AssignmentGate({ checkpoints: o.checkpoints, committed: o.committed, seek: o.seek, offsets: this.offsets, log: o.log });
    this.eachBatch = createBatchHandler({
      queue: this.queue,
      offsets: this.offsets,
      assignmentReady: () => this.gate.ready(),
      pauser: this.pauser,
      tickMs: o.tickMs ?? 1000,
      log: o.log,
      onLag: (stream, records) => void this.lags.set(stream, records),
    });
  }

  /** Consumer lag per partition, as of each partition's last commit. */
  readonly lags = new Map<string, number>();

  /** kafkajs `consumer.group_join` (start and every rebalance): must be called synchronously from the event. */
  onGroupJoin(assignment: IMemberAssignment): void {
    this.gate.assigned(assignment);
  }

  /** The records for the pipeline, in the order handlers queued them; ends after `finish()`. */
  async *records(): AsyncGenerator<SourceRecord> {
    try {
      yield* this.queue.drain();
    } finally {
      // The pipeline stopped reading before the end (it failed): nothing queued will be acknowledged.
      if (!this.queue.isClosed) this.fail(new AuditqlError(ErrorCode.INTERNAL, 'the ingest pipeline stopped reading Kafka records'));
    }
  }

  /** The pipeline committed a batch ending at these checkpoints. */
  acknowledge(checkpoints: readonly Checkpoint[]): void {
    this.offsets.acknowledge(checkpoints);
  }

  /** No more records will be queued (the consumer has stopped): `records()` ends once drained. */
  finish(): void {
    this.queue.close();
  }

  /** Nothing queued will ever be acknowledged: waiting handlers throw (so nothing is committed), `records()` throws. */
  fail(error: unknown): void {
    this.offsets.fail(error);
    this.queue.fail(error);
    this.pauser.resumeAll();
  }
}
