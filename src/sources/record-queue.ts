/**
 * The bounded hand-over between a source's transport (the writers) and the ingest pipeline (one reader,
 * `drain()`): nothing is ever buffered past `capacity`, so a lagging warehouse slows the source instead of
 * growing memory (docs/contributing.md "Configuration and lifecycle"). How a writer meets a full queue is the source's choice:
 *
 * - `push` waits for room. The PostgreSQL source awaits it in the replication stream's handler, which (with
 *   the library's flow control) stops reading the socket.
 * - `offer` never waits: a full queue refuses, and the Kafka batch handler pauses its partition and waits for
 *   `space()`. `onLow` (called once a queue that filled up has drained to `lowWater`) resumes partitions.
 *
 * Three ways to end, because the sources need each: `close()` (the reader takes what is queued, then ends),
 * `discard()` (it ends at its next step; queued records are dropped — never acknowledged, so sent again)
 * and `fail(error)` (likewise, but the reader throws `error`).
 */
export interface RecordQueueOptions {
  /** Called when a queue that was full (a refused `offer`, a waiting writer) has drained to `lowWater`. */
  readonly onLow?: () => void;
  /** Default: half the capacity. */
  readonly lowWater?: number;
}

export class RecordQueue<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private failure: { readonly error: unknown } | null = null;
  private wakeReader: (() => void) | null = null;
  private spaceWaiters: (() => void)[] = [];
  /** Set when the queue filled up; cleared (and `onLow` called) once it drained to `lowWater`. */
  private pressured = false;
  private readonly onLow: () => void;
  readonly lowWater: number;

  constructor(
    readonly capacity: number,
    o: RecordQueueOptions = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('queue capacity must be a positive integer');
    this.onLow = o.onLow ?? (() => {});
    this.lowWater = o.lowWater ?? Math.floor(capacity / 2);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get isFull(): boolean {
    return this.size >= this.capacity;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Enqueue unless full (→ false). Throws once the queue is closed. */
  offer(item: T): boolean {
    if (this.closed) throw new Error('record queue is closed');
    if (this.isFull) {
      this.pressured = true;
      return false;
    }
    this.enqueue(item);
    return true;
  }

  /**
   * Enqueue once there is room. `stillWanted` is asked after the wait: a record from a session that ended
   * meanwhile is dropped (its transaction is sent again by the next session). Returns whether queued; false
   * once the queue is closed.
   */
  async push(item: T, stillWanted: () => boolean = () => true): Promise<boolean> {
    while (this.isFull && !this.closed) await this.space();
    if (this.closed || !stillWanted()) return false;
    this.enqueue(item);
    return true;
  }

  /** Resolves when there is room (or the queue closed). Waiting marks the queue pressured (see `onLow`). */
  space(): Promise<void> {
    if (!this.isFull || this.closed) return Promise.resolve();
    this.pressured = true;
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** No more records: the reader ends after taking what is queued. Waiting writers are released. */
  close(): void {
    this.closed = true;
    this.wake();
    this.releaseSpace();
  }

  /** No more records, and the queued ones are dropped: the reader ends at its next step. */
  discard(): void {
    this.items = [];
    this.head = 0;
    this.close();
  }

  /** The reader throws `error` at its next step (the first error wins); queued records are dropped. */
  fail(error: unknown): void {
    if (!this.failure) this.failure = { error };
    this.discard();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      if (this.size > 0) {
        yield this.take();
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private enqueue(item: T): void {
    this.items.push(item);
    this.wake();
  }

  private take(): T {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    // Taking from the front by index, compacting now and then: shift() would copy a long queue every time.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (!this.isFull) this.releaseSpace();
    if (this.pressured && this.size <= this.lowWater) {
      this.pressured = false;
      this.onLow();
    }
    return item;
  }

  private wake(): void {
    const w = this.wakeReader;
    this.wakeReader = null;
    w?.();
  }

  private releaseSpace(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }
}
