/**
 * One subscriber of the change feed: a single cursor (the seq of the last row it was given, or the head it
 * started from), replay from the warehouse, then live delivery through its group — no gap and no duplicate
 * at the seam, because every row it ever gets comes from the same query `seq > cursor and seq <= upto`
 * and the cursor only moves past rows it was given (docs/subscriptions.md "Replay").
 *
 * States:
 * - `replay`: reads pages privately, each only when its queue has room (a replay never outruns its client).
 * - `joining`: caught up to where its group was a moment ago; it is a member already, so batches the group
 *   reads are kept (pending) while it reads the small gap up to the group's cursor, then applied in order.
 * - `live`: takes the group's batches. A batch that does not fit in its queue moves it back to `replay`
 *   (nothing is lost: the rows are read again privately), so a burst never drops a client.
 * - `done`.
 * A client whose queue stays full while it takes nothing for `stallMs` is dropped: its next `next()`
 * rejects with AUDITQL_SUBSCRIBER_TOO_SLOW (the transport then closes the connection, 4429).
 */
import { AuditqlError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { BoundedQueue, type QueueReader } from './bounded-queue.js';
import type { FeedGroup, GroupMember } from './feed-group.js';
import type { FeedBatch, FeedRow, FeedSpec } from './feed-spec.js';
import type { FeedStats } from './feed-stats.js';

/** What a subscription needs from its feed (src/feed/change-feed.ts). */
export interface FeedAccess {
  readonly stats: FeedStats;
  readonly log: Logger;
  /** The listener is started and the head was read once. */
  ready(): Promise<void>;
  /** A fresh read of the warehouse head. */
  currentHead(): Promise<bigint>;
  /** The cursor of the group following `spec`, or the feed's head when there is none yet. */
  groupCursor(key: string): bigint;
  /** Add a member to the group following `spec` (created at the feed's head when there is none). */
  attach<R extends FeedRow, T>(spec: FeedSpec<R, T>, member: GroupMember<T>): FeedGroup<R, T>;
  released(s: { end(): void; readonly queued: number }): void;
}

export interface SubscriberLimits {
  /** Items a subscriber may have waiting (default 1000). */
  readonly queueLimit: number;
  /** Dropped after its queue stayed full this long with nothing taken (default 10 s). */
  readonly stallMs: number;
  /** Rows per warehouse read. */
  readonly pageSize: number;
}

type State = 'starting' | 'replay' | 'joining' | 'live' | 'done';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class FeedSubscription<R extends FeedRow, T> implements AsyncIterableIterator<T>, GroupMember<T> {
  private cursor = -1n;
  private state: State = 'starting';
  private group: FeedGroup<R, T> | null = null;
  private pending: FeedBatch<T>[] = [];
  private pendingItems = 0;
  private catchingUp = false;
  private roomWait: Promise<void> | null = null;
  private readonly queue: BoundedQueue<T>;

  constructor(
    private readonly feed: FeedAccess,
    private readonly spec: FeedSpec<R, T>,
    /** Resume above this seq; null: start from the head at subscribe time ("now"). */
    after: bigint | null,
    private readonly limits: SubscriberLimits,
    private readonly onDrop?: (error: AuditqlError) => void,
  ) {
    this.queue = new BoundedQueue<T>(limits.queueLimit);
    void this.start(after);
  }

  /** The seq below which (inclusive) this subscriber has been given every matching row. */
  get position(): bigint {
    return this.cursor;
  }

  get phase(): State {
    return this.state;
  }

  get queued(): number {
    return this.queue.size;
  }

  /**
   * Its queue, for a synchronous consumer (src/graphql/subscriptions/fanout-delivery.ts) instead of
   * `next()`: told of each push, it takes items with `shift`; once the queue is closed and empty, `next()`
   * says how it ended.
   */
  get reader(): QueueReader<T> {
    return this.queue;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return this.queue.take();
  }

  async return(): Promise<IteratorResult<T>> {
    this.end();
    return { value: undefined, done: true };
  }

  async throw(err?: unknown): Promise<IteratorResult<T>> {
    this.end();
    throw err;
  }

  /** Stop: leave the group, drop what is queued, complete the iterator. */
  end(): void {
    if (this.state === 'done') return;
    this.leave();
    this.state = 'done';
    this.queue.end();
    this.feed.released(this);
  }

  /** A batch its group read. Runs synchronously inside the group's delivery. */
  offer(b: FeedBatch<T>): void {
    if (this.state === 'joining') {
      this.pending.push(b);
      this.pendingItems += b.items.length;
      if (this.pendingItems + this.queue.size > this.queue.limit) this.backToReplay();
      return;
    }
    if (this.state !== 'live') return;
    let from = 0;
    while (from < b.seqs.length && b.seqs[from]! <= this.cursor) from++;
    const n = b.items.length - from;
    if (n > this.queue.room) {
      // Do not grow past the limit, do not lose rows: leave the group and read them again at our own pace.
      this.feed.stats.detached++;
      this.backToReplay();
      void this.catchUp();
      return;
    }
    if (n > 0) this.queue.push(from === 0 ? b.items : b.items.slice(from));
    if (b.upto > this.cursor) this.cursor = b.upto;
  }

  private async start(after: bigint | null): Promise<void> {
    let backoff = 250;
    while (this.state === 'starting') {
      try {
        await this.feed.ready();
        const from = after ?? (await this.feed.currentHead());
        if (this.state !== 'starting') return;
        this.cursor = from;
        this.state = 'replay';
      } catch (err) {
        this.feed.log.warn(`change feed: cannot start a subscription yet (${(err as Error).message}); retrying in ${backoff} ms`);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
    await this.catchUp();
  }

  /** Replay privately until at its group's cursor, then go live (or join with the small gap pending). */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    let backoff = 250;
    let reachedTarget = false;
    try {
      while (this.state === 'replay') {
        if (!(await this.waitForRoom())) return;
        const groupAt = this.feed.groupCursor(this.spec.key);
        if (this.cursor >= groupAt) {
          this.state = 'live';
          this.group = this.feed.attach(this.spec, this);
          return;
        }
        try {
          if (reachedTarget) {
            // Close enough: become a member now (its batches wait in `pending`) and read the gap.
            await this.join();
            reachedTarget = false;
          } else {
            const target = groupAt;
            const limit = Math.max(1, Math.min(this.limits.pageSize, this.queue.room));
            const page = await this.read(this.cursor, target, limit);
            if (this.state !== 'replay') return;
            this.queue.push(page.items);
            reachedTarget = page.seqs.length < limit;
            this.cursor = reachedTarget ? target : page.seqs[page.seqs.length - 1]!;
          }
          backoff = 250;
        } catch (err) {
          // `state` changes under our feet (offer() runs while we await): read it afresh.
          if (this.phase === 'joining') this.backToReplay();
          if (this.phase !== 'replay') return;
          this.feed.log.warn(`change feed: replay read failed (${(err as Error).message}); retrying in ${backoff} ms`);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 10_000);
        }
      }
    } finally {
      this.catchingUp = false;
    }
  }

  private async join(): Promise<void> {
    this.pending = [];
    this.pendingItems = 0;
    this.state = 'joining';
    this.group = this.feed.attach(this.spec, this);
    const target = this.group.cursor;
    while (this.cursor < target) {
      const limit = Math.min(this.limits.pageSize, this.queue.room - this.pendingItems);
      if (limit <= 0) {
        this.backToReplay();
        return;
      }
      const page = await this.read(this.cursor, target, limit);
      if (this.state !== 'joining') return;
      this.queue.push(page.items);
      this.cursor = page.seqs.length < limit ? target : page.seqs[page.seqs.length - 1]!;
    }
    const pending = this.pending;
    this.pending = [];
    this.pendingItems = 0;
    this.state = 'live';
    for (const b of pending) this.offer(b);
  }

  private async read(after: bigint, upto: bigint, limit: number): Promise<FeedBatch<T>> {
    this.feed.stats.replayReads++;
    const rows = await this.spec.read({ after: after.toString(), upto: upto.toString(), limit });
    this.feed.stats.rowsRead += rows.length;
    return { seqs: rows.map((r) => BigInt(r.seq)), items: rows.length > 0 ? this.spec.prepare(rows) : [], upto };
  }

  /** Wait until at most half the queue is used; false when it stalled (then it is dropped) or ended. */
  private async waitForRoom(): Promise<boolean> {
    const half = Math.floor(this.queue.limit / 2);
    while (this.queue.size > half && !this.queue.closed) {
      const left = this.limits.stallMs - (performance.now() - this.queue.lastTakeAt);
      if (left <= 0) {
        this.drop();
        return false;
      }
      this.roomWait ??= this.queue.whenAtMost(half).finally(() => (this.roomWait = null));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.roomWait, new Promise<void>((r) => (timer = setTimeout(r, left + 1)))]);
      clearTimeout(timer);
    }
    return !this.queue.closed && this.state === 'replay';
  }

  private drop(): void {
    if (this.state === 'done') return;
    this.feed.stats.dropped++;
    const error = new AuditqlError(
      ErrorCode.SUBSCRIBER_TOO_SLOW,
      `this subscriber took nothing for ${Math.round(this.limits.stallMs)} ms while ${this.queue.size} events waited (the limit is ` +
        `${this.queue.limit}); resubscribe with \`after\` set to the last cursor received to resume without a gap`,
    );
    this.leave();
    this.state = 'done';
    this.queue.fail(error);
    this.feed.released(this);
    this.onDrop?.(error);
  }

  private backToReplay(): void {
    this.leave();
    this.state = 'replay';
  }

  private leave(): void {
    this.group?.remove(this);
    this.group = null;
    this.pending = [];
    this.pendingItems = 0;
  }
}
