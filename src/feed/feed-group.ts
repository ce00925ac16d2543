/**
 * Live subscribers that follow the same spec (kind + filter) share one cursor and one read per wake-up:
 * the group reads `seq > cursor and seq <= head` once, prepares the batch once, and offers it to every
 * member. 1,000 subscribers on one filter cost one warehouse read per wake-up, not 1,000.
 *
 * Members may sit at or above the group's cursor (a member that started from "now" can be ahead of it):
 * each takes only rows above its own cursor. A member below the cursor is never a member — it catches up
 * on its own first (feed-subscription.ts).
 */
import type { Logger } from '../log.js';
import type { FeedBatch, FeedRow, FeedSpec } from './feed-spec.js';
import type { FeedStats } from './feed-stats.js';

export interface GroupMember<T> {
  /** Take a batch read by the group (synchronously). */
  offer(batch: FeedBatch<T>): void;
}

export class FeedGroup<R extends FeedRow, T> {
  readonly members = new Set<GroupMember<T>>();
  private target: bigint;
  private running = false;

  constructor(
    readonly spec: FeedSpec<R, T>,
    /** Every matching row at or below it has been offered to the members. */
    public cursor: bigint,
    private readonly o: { readonly pageSize: number; readonly log: Logger; readonly stats: FeedStats; readonly onEmpty: (g: FeedGroup<R, T>) => void },
  ) {
    this.target = cursor;
  }

  add(m: GroupMember<T>): void {
    this.members.add(m);
  }

  remove(m: GroupMember<T>): void {
    if (this.members.delete(m) && this.members.size === 0) this.o.onEmpty(this);
  }

  /** The warehouse head moved to `head`: read up to it (unless a read is already running, which will). */
  advanceTo(head: bigint): void {
    if (head > this.target) this.target = head;
    if (!this.running && this.cursor < this.target && this.members.size > 0) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.cursor < this.target && this.members.size > 0) {
        const after = this.cursor;
        const upto = this.target;
        const limit = this.o.pageSize;
        this.o.stats.groupReads++;
        const rows = await this.spec.read({ after: after.toString(), upto: upto.toString(), limit });
        const next = rows.length === limit ? BigInt(rows[rows.length - 1]!.seq) : upto;
        const batch: FeedBatch<T> = { seqs: rows.map((r) => BigInt(r.seq)), items: rows.length > 0 ? this.spec.prepare(rows) : [], upto: next };
        // Synchronously: the cursor moves with the delivery, so a member joining now sees a consistent cursor.
        this.cursor = next;
        for (const m of [...this.members]) m.offer(batch);
        this.o.stats.rowsRead += rows.length;
      }
    } catch (err) {
      // The cursor did not move: the next wake-up (a notification or the poll) reads the same slice again.
      this.o.log.warn(`change feed: reading ${this.spec.key.slice(0, 200)} failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
