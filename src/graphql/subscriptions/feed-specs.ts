/**
 * The three things a subscription can follow, as feed specs (src/feed/feed-spec.ts): changes and activity
 * under a filter, and actor updates about changes under a change filter — read through the warehouse's
 * feed queries, delivered as GraphQL nodes with their batch's loaders. The filters are those of
 * `changes(filter:)` and `activity(filter:)`, with the same semantics.
 */
import type { Kysely } from 'kysely';
import type { Warehouse } from '../../warehouse/tables.js';
import type { ChangeQuery } from '../../warehouse/queries/change-page.js';
import type { ActivityQuery } from '../../warehouse/queries/activity-page.js';
import type { ChangeRecord } from '../../warehouse/queries/change-record.js';
import type { ActivityRecord } from '../../warehouse/queries/activity-record.js';
import { feedActivity, feedChanges } from '../../warehouse/queries/feed.js';
import { feedActorUpdates, type ActorUpdateRecord } from '../../warehouse/queries/attribution-updates.js';
import { canonicalKey, type FeedSpec } from '../../feed/feed-spec.js';
import type { Loaders } from '../loaders.js';
import { activityNode, actorUpdateNode, changeNode, type ActivityNode, type ActorUpdateNode, type ChangeNode } from '../nodes.js';
import { activityBatchLoaders, changeBatchLoaders } from './batch-loaders.js';

/** What a subscription yields per row: the node, and the loaders its field resolvers use. */
export interface FeedEvent<N> {
  readonly node: N;
  readonly loaders: Loaders;
}

export function changeFeedSpec(db: Kysely<Warehouse>, q: ChangeQuery): FeedSpec<ChangeRecord, FeedEvent<ChangeNode>> {
  return {
    key: `change:${canonicalKey(q)}`,
    read: (slice) => feedChanges(db, q, slice),
    prepare(rows) {
      const nodes = rows.map(changeNode);
      const loaders = changeBatchLoaders(db, nodes);
      return nodes.map((node) => ({ node, loaders }));
    },
  };
}

export function activityFeedSpec(db: Kysely<Warehouse>, q: ActivityQuery): FeedSpec<ActivityRecord, FeedEvent<ActivityNode>> {
  return {
    key: `activity:${canonicalKey(q)}`,
    read: (slice) => feedActivity(db, q, slice),
    prepare(rows) {
      const nodes = rows.map(activityNode);
      const loaders = activityBatchLoaders(db, nodes);
      return nodes.map((node) => ({ node, loaders }));
    },
  };
}

export function actorUpdateFeedSpec(db: Kysely<Warehouse>, q: ChangeQuery): FeedSpec<ActorUpdateRecord, FeedEvent<ActorUpdateNode>> {
  return {
    key: `actor-update:${canonicalKey(q)}`,
    read: (slice) => feedActorUpdates(db, q, slice),
    prepare(rows) {
      const nodes = rows.map(actorUpdateNode);
      const loaders = changeBatchLoaders(db, nodes.map((n) => n.change));
      return nodes.map((node) => ({ node, loaders }));
    },
  };
}
