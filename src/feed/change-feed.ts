/**
 * The change feed of one API process (docs/cursors.md; docs/subscriptions.md): new rows
 * reach subscribers from the warehouse, in seq order, whoever wrote them — an ingest process elsewhere, or
 * several; every API replica runs its own feed over the same warehouse, and nothing in memory is the
 * source of truth.
 *
 * - Wake-ups: one `LISTEN auditql_feed` connection (feed-listener.ts), plus a poll every `pollMs` in case
 *   a notification is lost or the connection is down. A wake-up reads the head (`feedHead`), then each
 *   group whose cursor is below it reads up to it — one read per wake-up per distinct filter.
 * - Subscriptions (feed-subscription.ts) replay privately, then join their group.
 * Started lazily by the first subscription, so an API nobody subscribes to holds no extra connection.
 */
import type { Kysely } from 'kysely';
import type { AuditqlError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Warehouse } from '../warehouse/tables.js';
import { feedHead } from '../warehouse/queries/feed.js';
import { FeedGroup, type GroupMember } from './feed-group.js';
import { FeedListener } from './feed-listener.js';
import type { FeedRow, FeedSpec } from './feed-spec.js';
import { newFeedStats, type FeedStats } from './feed-stats.js';
import { FeedSubscription, type FeedAccess, type SubscriberLimits } from './feed-subscription.js';

export interface ChangeFeedOptions {
  readonly db: Kysely<Warehouse>;
  /** The warehouse URL for the LISTEN connection; null: poll only. */
  readonly listenUrl: string | null;
  readonly log: Logger;
  /**
   * Another sequence to follow than the change feed's (the access audit's): how to read its head, and the
   * channel its writers notify. Its writers must make rows visible in seq order, as the sink does.
   */
  readonly sequence?: { readonly head: (db: Kysely<Warehouse>) => Promise<string>; readonly channel: string };
  /** Poll fallback interval (default 1000 ms). */
  readonly pollMs?: number;
  /** Rows per warehouse read (default 500). */
  readonly pageSize?: number;
  /** Events a subscriber may have waiting (default 1000). */
  readonly queueLimit?: number;
  /** A subscriber whose queue stays full this long with nothing taken is dropped (default 10 000 ms). */
  readonly stallMs?: number;
}

export const FEED_DEFAULTS = Object.freeze({ pollMs: 1000, pageSize: 500, queueLimit: 1000, stallMs: 10_000 });

export class ChangeFeed implements FeedAccess {
  readonly stats: FeedStats = newFeedStats();
  readonly log: Logger;
  private readonly limits: SubscriberLimits;
  private readonly pollMs: number;
  private head = 0n;
  private readonly groups = new Map<string, FeedGroup<FeedRow, unknown>>();
  private readonly subscriptions = new Set<{ end(): void; readonly queued: number }>();
  private readonly listener: FeedListener | null;
  private poll: NodeJS.Timeout | null = null;
  private starting: Promise<void> | null = null;
  private headRead: Promise<bigint> | null = null;
  private ticking = false;
  private again = false;
  private closed = false;

  constructor(private readonly o: ChangeFeedOptions) {
    this.log = o.log;
    this.pollMs = o.pollMs ?? FEED_DEFAULTS.pollMs;
    this.limits = Object.freeze({
      queueLimit: o.queueLimit ?? FEED_DEFAULTS.queueLimit,
      stallMs: o.stallMs ?? FEED_DEFAULTS.stallMs,
      pageSize: o.pageSize ?? FEED_DEFAULTS.pageSize,
    });
    this.listener = o.listenUrl
      ? new FeedListener({
          url: o.listenUrl,
          log: o.log,
          ...(o.sequence ? { channel: o.sequence.channel } : {}),
          onWake: (hint) => {
            if (hint !== null) this.stats.notifications++;
            this.wake(hint);
          },
        })
      : null;
  }

  /** Live subscribers and groups, and whether the LISTEN connection is up. */
  get size(): { readonly subscriptions: number; readonly groups: number; readonly listening: boolean } {
    return { subscriptions: this.subscriptions.size, groups: this.groups.size, listening: this.listener?.listening ?? false };
  }

  /** Events each open subscription has waiting (read for it, not yet taken by its transport): for metrics. */
  backlogs(): number[] {
    return [...this.subscriptions].map((s) => s.queued);
  }

  /** Events a subscriber may have waiting. */
  get queueLimit(): number {
    return this.limits.queueLimit;
  }

  /**
   * Follow `spec` from above `after` (a seq), or from the head at subscribe time when null. The result is
   * an async iterator of items; `onDrop` is told when the subscriber is dropped as too slow.
   */
  subscribe<R extends FeedRow, T>(spec: FeedSpec<R, T>, after: bigint | null, onDrop?: (error: AuditqlError) => void): FeedSubscription<R, T> {
    if (this.closed) throw new Error('the change feed is closed');
    const s = new FeedSubscription<R, T>(this, spec, after, this.limits, onDrop);
    this.subscriptions.add(s);
    return s;
  }

  ready(): Promise<void> {
    this.starting ??= (async () => {
      this.poll ??= setInterval(() => this.wake(null), this.pollMs).unref();
      await this.listener?.start();
      await this.readHead();
    })().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  currentHead(): Promise<bigint> {
    return this.headRead ?? this.readHead();
  }

  groupCursor(key: string): bigint {
    return this.groups.get(key)?.cursor ?? this.head;
  }

  attach<R extends FeedRow, T>(spec: FeedSpec<R, T>, member: GroupMember<T>): FeedGroup<R, T> {
    let g = this.groups.get(spec.key) as FeedGroup<R, T> | undefined;
    if (!g) {
      g = new FeedGroup<R, T>(spec, this.head, {
        pageSize: this.limits.pageSize,
        log: this.log,
        stats: this.stats,
        onEmpty: (empty) => {
          if (this.groups.get(empty.spec.key) === (empty as unknown)) this.groups.delete(empty.spec.key);
        },
      });
      this.groups.set(spec.key, g as unknown as FeedGroup<FeedRow, unknown>);
    }
    g.add(member);
    g.advanceTo(this.head);
    return g;
  }

  released(s: { end(): void; readonly queued: number }): void {
    this.subscriptions.delete(s);
  }

  /** A notification (its payload: the highest seq the writer committed), a reconnect or the poll. */
  wake(hint: string | null): void {
    if (this.closed || this.subscriptions.size === 0) return;
    if (hint !== null && /^\d{1,19}$/.test(hint) && BigInt(hint) <= this.head) return; // already read up to it
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void (async () => {
      try {
        do {
          this.again = false;
          // Never share a head read that started before this wake-up: it might not see the new commit.
          await this.readHead();
        } while (this.again && !this.closed);
      } catch (err) {
        this.log.warn(`change feed: reading the warehouse head failed (${(err as Error).message}); the poll retries`);
      } finally {
        this.ticking = false;
      }
    })();
  }

  /** End every subscription (their iterators complete) and release the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    for (const s of [...this.subscriptions]) s.end();
    this.groups.clear();
    await this.listener?.stop();
  }

  private readHead(): Promise<bigint> {
    this.stats.headReads++;
    const read = (this.o.sequence?.head ?? feedHead)(this.o.db).then((h) => {
      const head = BigInt(h);
      if (head > this.head) this.head = head;
      // Whoever read it, every group follows: a later notification at or below it is skipped.
      for (const g of this.groups.values()) g.advanceTo(this.head);
      return this.head;
    });
    this.headRead = read;
    void read.finally(() => {
      if (this.headRead === read) this.headRead = null;
    }).catch(() => {});
    return read;
  }
}
