/**
 * A slice of the warehouse feed as SIEM inputs, in feed (seq) order: changes and activity under a filter,
 * each change with its actor as attribution knows it now and its field changes (old values the source did
 * not send are marked unknown; no history stitching). Reads only through warehouse queries.
 */
import type { Kysely } from 'kysely';
import type { Warehouse } from '../warehouse/tables.js';
import { feedActivity, feedChanges, type FeedSlice } from '../warehouse/queries/feed.js';
import type { ChangeQuery } from '../warehouse/queries/change-page.js';
import type { ActivityQuery } from '../warehouse/queries/activity-page.js';
import { attributionsForChanges, type AttributionRecord } from '../warehouse/queries/attributions.js';
import { activityNode, changeNode } from '../graphql/nodes.js';
import { actorOf } from '../graphql/actor.js';
import { fieldChanges } from '../graphql/history/field-changes.js';
import type { SiemInput } from './siem-input.js';

/** What a forwarder follows: changes under `changes`, activity under `activity`; null leaves that kind out. */
export interface FeedFilter {
  readonly changes: ChangeQuery | null;
  readonly activity: ActivityQuery | null;
}

export const EVERYTHING: FeedFilter = Object.freeze({ changes: {}, activity: {} });

export interface FeedEvents {
  readonly events: SiemInput[];
  /** Everything matching at or below this seq has been read: the next slice starts above it. */
  readonly upto: string;
}

/**
 * Matching events with `after < seq <= upto`, oldest first, at most `limit`. When the limit cut the
 * slice short, `upto` is the last seq returned, so nothing between is skipped.
 */
export async function readFeedEvents(db: Kysely<Warehouse>, filter: FeedFilter, slice: FeedSlice): Promise<FeedEvents> {
  const [changes, activity] = await Promise.all([
    filter.changes ? feedChanges(db, filter.changes, slice) : Promise.resolve([]),
    filter.activity ? feedActivity(db, filter.activity, slice) : Promise.resolve([]),
  ]);
  const evidence = await attributionsForChanges(db, changes.map((c) => c.seq));
  const bySeq = new Map<string, AttributionRecord[]>();
  for (const e of evidence) {
    const list = bySeq.get(e.changeSeq);
    if (list) list.push(e);
    else bySeq.set(e.changeSeq, [e]);
  }
  const merged: SiemInput[] = [
    ...changes.map((r): SiemInput => ({ kind: 'change', node: changeNode(r), actor: actorOf(bySeq.get(r.seq) ?? []), fieldChanges: fieldChanges(r, null) })),
    ...activity.map((r): SiemInput => ({ kind: 'activity', node: activityNode(r) })),
  ].sort((a, b) => (BigInt(a.node.seq) < BigInt(b.node.seq) ? -1 : 1));
  // Each side is cut at `limit`; past the lower of the two cut points the other side may be missing rows.
  const full = (n: number) => n >= slice.limit;
  let upto = slice.upto;
  const cut = [changes, activity].filter((rows) => full(rows.length)).map((rows) => BigInt(rows[rows.length - 1]!.seq));
  if (cut.length) upto = String(cut.reduce((m, x) => (x < m ? x : m)));
  const events = merged.filter((e) => BigInt(e.node.seq) <= BigInt(upto)).slice(0, slice.limit);
  if (events.length === slice.limit) upto = events[events.length - 1]!.node.seq;
  return { events, upto };
}
