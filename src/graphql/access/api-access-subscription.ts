/**
 * `Subscription.apiAccessAdded(filter, after)`: the access audit as it is recorded, so a SIEM sees who
 * reads the audit trail (docs/security.md "Access audit"). It follows `auditql.api_access` by its own
 * `seq` through a change feed of its own (src/feed/change-feed.ts with the access audit's head and channel):
 * replay from `after`, then live, no gap and no duplicate — the records' `seq` is safe to follow across
 * API processes for the reason src/warehouse/queries/api-access.ts gives.
 */
import { Arg, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { canonicalKey, type FeedSpec } from '../../feed/feed-spec.js';
import { feedApiAccess, type ApiAccessQuery, type ApiAccessRecord } from '../../warehouse/queries/api-access.js';
import type { ApiContext } from '../context.js';
import { decodeAccessCursor } from '../cursor.js';
import { isSubscriptionContext } from '../subscriptions/subscription-context.js';
import { ApiAccess, ApiAccessFilter } from '../types/api-access.js';
import { accessNode, type ApiAccessNode } from './api-access-queries.js';

interface AccessEvent {
  readonly node: ApiAccessNode;
}

function accessSpec(ctx: ApiContext, filter: ApiAccessQuery): FeedSpec<ApiAccessRecord, AccessEvent> {
  const db = ctx.warehouse.db;
  return {
    key: `api-access:${canonicalKey(filter)}`,
    read: (slice) => feedApiAccess(db, filter, slice),
    prepare: (rows) => rows.map((r) => ({ node: accessNode(r) })),
  };
}

function follow(context: ApiContext, filter: ApiAccessFilter | null | undefined, after: string | null | undefined): AsyncIterable<AccessEvent> {
  if (!isSubscriptionContext(context)) {
    throw new AuditqlError(ErrorCode.BAD_INPUT, 'subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) on /graphql');
  }
  const from = after == null ? null : BigInt(decodeAccessCursor(after));
  return context.accessFeed.subscribe(accessSpec(context, filter ?? {}), from, context.onDrop);
}

@Resolver()
export class ApiAccessSubscription {
  @Subscription(() => ApiAccess, {
    description:
      'Every access record matching `filter` as it is written, in `seq` order. `after`: the `cursor` of an access record (from this ' +
      'subscription or `apiAccess`): first every matching record written since, then live — no gap, no duplicate. Absent: from now on.',
    subscribe: ({ args, context }) => {
      const a = args as { filter?: ApiAccessFilter | null; after?: string | null };
      return follow(context as ApiContext, a.filter, a.after);
    },
  })
  apiAccessAdded(
    @Root() event: AccessEvent,
    @Arg('filter', () => ApiAccessFilter, { nullable: true }) _filter: ApiAccessFilter | null | undefined,
    @Arg('after', () => String, { nullable: true }) _after: string | null | undefined,
    @Ctx() _ctx: ApiContext,
  ): ApiAccessNode {
    return event.node;
  }
}
