/**
 * Lanes: how the pipeline keeps up to K batches in flight without ever reordering a stream
 * (docs/architecture.md "The pipeline", "Batches in flight"). A lane is one pending batch and its queue of
 * writes, which run one after another; each checkpoint stream (a Kafka topic-partition, a Kinesis shard, a
 * file) is given a lane the first time it is seen and stays in it, so a stream's batches are written and
 * acknowledged strictly in order, and batches of different lanes hold disjoint streams and commit side by
 * side on their own pooled connections. Records without a checkpoint all share the lane of stream ''.
 */
import type { Checkpoint } from '../contracts/records.js';
import type { Unit } from './unit.js';

export class PendingBatch {
  units: Unit[] = [];
  checkpoints = new Map<string, Checkpoint>();
  /** For the batch's `ingest.decode` span, when tracing: its first decode's start and the time spent decoding. */
  decodeStart = 0;
  decodeEnd = 0;
  decodeMs = 0;
}

export class Lane {
  current = new PendingBatch();
  /** The last write handed over: the next one starts after it (a lane writes one batch at a time). */
  tail: Promise<void> = Promise.resolve();
  /** Writes handed over and not finished yet, oldest first. */
  readonly writes: Promise<void>[] = [];
  timer: NodeJS.Timeout | undefined;

  /** Queue `write` after the lane's previous write; resolves when that previous write finished. */
  enqueue(write: () => Promise<void>): Promise<void> {
    const previous = this.tail;
    const written = previous.then(write);
    this.tail = written;
    this.writes.push(written);
    void written.finally(() => this.writes.shift()); // a lane's writes finish in order
    return previous;
  }

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** K lanes and the sticky stream → lane assignment: round-robin in the order streams are first seen. */
export class Lanes {
  readonly all: readonly Lane[];
  private readonly byStream = new Map<string, Lane>();

  constructor(count: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('in-flight batches must be a positive integer');
    this.all = Array.from({ length: count }, () => new Lane());
  }

  of(stream: string): Lane {
    let lane = this.byStream.get(stream);
    if (!lane) {
      lane = this.all[this.byStream.size % this.all.length]!;
      this.byStream.set(stream, lane);
    }
    return lane;
  }
}
