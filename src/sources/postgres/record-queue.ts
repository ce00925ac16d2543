/**
 * The bounded hand-over between the replication stream and `records()`: the stream's handler waits while
 * the queue is full, which (with the library's flow control) pauses reading the socket, so a lagging
 * warehouse slows the replication stream instead of growing memory (STYLE.md "Backpressure").
 */
import type { SourceRecord } from '../source.js';

export class RecordQueue {
  private readonly items: SourceRecord[] = [];
  private spaceWaiters: (() => void)[] = [];
  private itemWaiter: (() => void) | null = null;
  private closed = false;
  private failure: unknown = null;

  constructor(private readonly capacity: number) {}

  /**
   * Add a record once there is room. `stillWanted` is asked after the wait: a record from a session that
   * ended meanwhile is dropped (its transaction is sent again by the next session). Returns whether queued.
   */
  async push(record: SourceRecord, stillWanted: () => boolean = () => true): Promise<boolean> {
    while (!this.closed && this.items.length >= this.capacity) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.closed || !stillWanted()) return false;
    this.items.push(record);
    this.wakeReader();
    return true;
  }

  /** End the stream: the reader stops at its next pull; waiting writers are released. */
  close(): void {
    this.closed = true;
    this.items.length = 0;
    this.wakeReader();
    this.wakeWriters();
  }

  /** End the stream with an error the reader rethrows. */
  fail(err: unknown): void {
    this.failure = err;
    this.close();
  }

  async *drain(): AsyncGenerator<SourceRecord> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closed) return;
      const record = this.items.shift();
      if (record) {
        this.wakeWriters();
        yield record;
        continue;
      }
      await new Promise<void>((resolve) => (this.itemWaiter = resolve));
    }
  }

  private wakeReader(): void {
    const w = this.itemWaiter;
    this.itemWaiter = null;
    w?.();
  }

  private wakeWriters(): void {
    const ws = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of ws) w();
  }
}
