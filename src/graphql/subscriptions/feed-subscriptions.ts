/**
 * `Subscription.changeAdded(filter, after)` and `Subscription.activityAdded(filter, after)` (docs/graphql.md
 * "The pinned contract"; docs/subscriptions.md), and `Subscription.actorUpdated(filter, after)` (attribution
 * that arrives after its change; docs/subscriptions.md "Actor updates"). The subscribe functions turn the arguments into a feed spec
 * and a start cursor and hand the change feed's iterator to graphql-js; the resolvers pass each event's
 * node on, after pointing the operation's loaders at the event's batch.
 */
import { Arg, Ctx, Resolver, Root, Subscription, type PubSub } from 'type-graphql';
import type { Kysely } from 'kysely';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { FeedRow, FeedSpec } from '../../feed/feed-spec.js';
import type { Warehouse } from '../../warehouse/tables.js';
import type { Keyset } from '../../warehouse/queries/keyset.js';
import type { ApiContext } from '../context.js';
import { decodeActivityCursor, decodeChangeCursor, decodeFeedCursor } from '../cursor.js';
import type { ActivityNode, ActorUpdateNode, ChangeNode } from '../nodes.js';
import { changeQueryOf } from '../resolvers/change-queries.js';
import { activityQueryOf } from '../resolvers/activity-queries.js';
import { Change } from '../types/change.js';
import { Activity } from '../types/activity.js';
import { ActorUpdate } from '../types/actor-update.js';
import { ActivityFilter, ChangeFilter } from '../types/filters.js';
import { isSubscriptionContext, type SubscriptionContext } from './subscription-context.js';
import { activityFeedSpec, actorUpdateFeedSpec, changeFeedSpec, type FeedEvent } from './feed-specs.js';

interface FeedArgs<F> {
  readonly filter?: F | null;
  readonly after?: string | null;
}

function feedContext(ctx: ApiContext): SubscriptionContext {
  if (!isSubscriptionContext(ctx)) {
    throw new AuditqlError(ErrorCode.BAD_INPUT, 'subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) on /graphql');
  }
  return ctx;
}

/** Follow `spec` (made for the caller's warehouse) from above the seq of `after`, decoded by `decode`. */
function follow<R extends FeedRow, T>(
  context: ApiContext, spec: (db: Kysely<Warehouse>) => FeedSpec<R, T>, after: string | null | undefined, decode: (cursor: string) => Keyset,
): AsyncIterable<T> {
  const ctx = feedContext(context);
  return ctx.feed.subscribe(spec(ctx.warehouse.db), after == null ? null : BigInt(decode(after).seq), ctx.onDrop);
}

export const subscribeChanges = (context: ApiContext, args: FeedArgs<ChangeFilter>): AsyncIterable<FeedEvent<ChangeNode>> =>
  follow(context, (db) => changeFeedSpec(db, changeQueryOf(args.filter)), args.after, decodeChangeCursor);

export const subscribeActivity = (context: ApiContext, args: FeedArgs<ActivityFilter>): AsyncIterable<FeedEvent<ActivityNode>> =>
  follow(context, (db) => activityFeedSpec(db, activityQueryOf(args.filter)), args.after, decodeActivityCursor);

/** Actor updates share the feed sequence with changes and activity: any of their cursors resumes them. */
export const subscribeActorUpdates = (context: ApiContext, args: FeedArgs<ChangeFilter>): AsyncIterable<FeedEvent<ActorUpdateNode>> =>
  follow(context, (db) => actorUpdateFeedSpec(db, changeQueryOf(args.filter)), args.after, decodeFeedCursor);

const AFTER =
  'Resume after this `cursor` (of a `Change` or `Activity` received or paged before): first everything committed since, ' +
  'from the warehouse, then live — no gap, no duplicate. Absent: from now on.';

const AFTER_UPDATE =
  'Resume after this `cursor` — of an `ActorUpdate`, or of a `Change` or `Activity` (they share one sequence, so the cursor you keep ' +
  'for `changeAdded` also works here): first every update recorded since, from the warehouse, then live — no gap, no duplicate. ' +
  'Absent: from now on.';

@Resolver()
export class FeedSubscriptions {
  @Subscription(() => Change, {
    description: 'Every change matching `filter`, in the order the warehouse stored them (see docs/subscriptions.md).',
    subscribe: ({ args, context }) => subscribeChanges(context as ApiContext, args as FeedArgs<ChangeFilter>),
  })
  changeAdded(
    @Root() event: FeedEvent<ChangeNode>,
    @Arg('filter', () => ChangeFilter, { nullable: true }) _filter: ChangeFilter | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): ChangeNode {
    feedContext(ctx).useLoaders(event.loaders);
    return event.node;
  }

  @Subscription(() => Activity, {
    description: 'Every activity event matching `filter` (`success: false`: failures only), in the order the warehouse stored them.',
    subscribe: ({ args, context }) => subscribeActivity(context as ApiContext, args as FeedArgs<ActivityFilter>),
  })
  activityAdded(
    @Root() event: FeedEvent<ActivityNode>,
    @Arg('filter', () => ActivityFilter, { nullable: true }) _filter: ActivityFilter | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): ActivityNode {
    feedContext(ctx).useLoaders(event.loaders);
    return event.node;
  }

  @Subscription(() => ActorUpdate, {
    description:
      'Attribution evidence recorded after its change was stored, about changes matching `filter` (evaluated when the update is read), ' +
      'in the order the warehouse recorded it: subscribe alongside `changeAdded` to be told when a change you already have gets its ' +
      'actor, or a better one (see docs/subscriptions.md "Actor updates").',
    subscribe: ({ args, context }) => subscribeActorUpdates(context as ApiContext, args as FeedArgs<ChangeFilter>),
  })
  actorUpdated(
    @Root() event: FeedEvent<ActorUpdateNode>,
    @Arg('filter', () => ChangeFilter, { nullable: true }) _filter: ChangeFilter | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER_UPDATE }) _after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): ActorUpdateNode {
    feedContext(ctx).useLoaders(event.loaders);
    return event.node;
  }
}

/**
 * type-graphql insists on a PubSub when a schema has subscriptions, even when every subscription brings its
 * own `subscribe` (ours do: rows come from the warehouse, never from in-process publishing).
 */
export const NO_PUBSUB: PubSub = {
  publish() {
    throw new Error('auditql subscriptions read the warehouse; nothing is published in-process');
  },
  subscribe() {
    throw new Error('auditql subscriptions read the warehouse; nothing is published in-process');
  },
};
