/**
 * The bounded hand-off between kafkajs batch handlers (several, one per partition being processed) and the
 * ingest pipeline (one reader). `offer` never waits: a full queue refuses, and the handler pauses its
 * partition and waits for `space()` (batch-handler.ts). Nothing is ever buffered past `capacity`.
 */
export class RecordQueue<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private failure: { readonly error: unknown } | null = null;
  private wakeReader: (() => void) | null = null;
  private spaceWaiters: (() => void)[] = [];
  /** Set when the queue filled up; cleared (and `onLow` called) once it drained to `lowWater`. */
  private pressured = false;

  constructor(
    readonly capacity: number,
    private readonly onLow: () => void = () => {},
    readonly lowWater: number = Math.floor(capacity / 2),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('queue capacity must be a positive integer');
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
    this.items.push(item);
    this.wake();
    return true;
  }

  /** Resolves when there is room (or the queue closed). Waiting marks the queue pressured (see `onLow`). */
  space(): Promise<void> {
    if (!this.isFull || this.closed) return Promise.resolve();
    this.pressured = true;
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** No more records: the reader ends after taking what is queued. */
  close(): void {
    this.closed = true;
    this.wake();
    this.releaseSpace();
  }

  /** The reader throws `error` at its next step; queued records are dropped (they were never acknowledged). */
  fail(error: unknown): void {
    if (!this.failure) this.failure = { error };
    this.items = [];
    this.head = 0;
    this.close();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      if (this.size > 0) {
        const item = this.items[this.head]!;
        this.items[this.head++] = undefined as T;
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        if (!this.isFull) this.releaseSpace();
        if (this.pressured && this.size <= this.lowWater) {
          this.pressured = false;
          this.onLow();
        }
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
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
