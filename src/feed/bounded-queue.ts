/**
 * A subscriber's queue: items the feed has read for it and the transport has not taken yet. It never holds
 * more than its limit (the feed checks `room` before pushing), so a slow client costs bounded memory.
 * One consumer, either asynchronous — `take()` waits for an item, the end, or a failure — or synchronous:
 * `watch(cb)` is called after every push, end and failure, and the consumer reads with `peek`/`shift`
 * (the fan-out path: no promise per item).
 */
/** The synchronous consumer's view of a queue. */
export interface QueueReader<T> {
  readonly size: number;
  readonly closed: boolean;
  watch(cb: (() => void) | null): void;
  peek(i: number): T | undefined;
  shift(): T | undefined;
}

export class BoundedQueue<T> implements QueueReader<T> {
  private items: T[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((err: unknown) => void) | null = null;
  private roomWaiters: (() => void)[] = [];
  private watcher: (() => void) | null = null;
  private ended = false;
  private failure: { readonly error: unknown } | null = null;
  /** When an item was last taken, or items arrived in an empty queue (ms, monotonic clock). */
  lastTakeAt = performance.now();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('queue limit must be a positive integer');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** How many more items fit. */
  get room(): number {
    return this.limit - this.size;
  }

  get closed(): boolean {
    return this.ended || this.failure !== null;
  }

  /** Append items; the caller has checked `room`. Returns false (and keeps nothing) when they do not fit. */
  push(items: readonly T[]): boolean {
    if (this.closed) return true;
    if (items.length > this.room) return false;
    if (items.length === 0) return true;
    // A consumer with nothing waiting was keeping up: the stall clock starts now, not at its last take.
    if (this.size === 0) this.lastTakeAt = performance.now();
    let i = 0;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.failWaiting = null;
      this.lastTakeAt = performance.now();
      w({ value: items[0]!, done: false });
      i = 1;
    }
    for (; i < items.length; i++) this.items.push(items[i]!);
    this.watcher?.();
    return true;
  }

  /** A synchronous consumer: `cb` runs after each push, end and failure (one watcher; null removes it). */
  watch(cb: (() => void) | null): void {
    this.watcher = cb;
  }

  /** The `i`-th waiting item (0: the next one), without taking it. */
  peek(i: number): T | undefined {
    return i < this.size ? this.items[this.head + i] : undefined;
  }

  /** Take the next waiting item synchronously; undefined when none waits. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const v = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.lastTakeAt = performance.now();
    this.notifyRoom();
    return v;
  }

  /** The next item; `done` after `end()`; rejects with the failure after `fail()` (once, then done). */
  take(): Promise<IteratorResult<T>> {
    if (this.size > 0) return Promise.resolve({ value: this.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      this.ended = true;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    this.notifyRoom();
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  /** Resolves when at most `atMost` items wait (or the queue closed). */
  whenAtMost(atMost: number): Promise<void> {
    if (this.size <= atMost || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.size <= atMost || this.closed) resolve();
        else this.roomWaiters.push(check);
      };
      this.roomWaiters.push(check);
    });
  }

  /** No more items: waiting and later takes see `done` (items already queued are dropped). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.clear();
    const w = this.waiting;
    this.waiting = this.failWaiting = null;
    w?.({ value: undefined, done: true });
    this.notifyRoom();
    this.watcher?.();
  }

  /** Drop what is queued and make the next take reject with `error`. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.clear();
    const reject = this.failWaiting;
    this.waiting = this.failWaiting = null;
    if (reject) {
      this.ended = true;
      reject(error);
    } else {
      this.failure = { error };
    }
    this.notifyRoom();
    this.watcher?.();
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
  }

  private notifyRoom(): void {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}
