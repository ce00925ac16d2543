/** The activity queries of the contract: `activityByUser` and `activity`. */
import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { pageActivity, type ActivityQuery } from '../../warehouse/queries/activity-page.js';
import { pageActivityByUser } from '../../warehouse/queries/attribution-activity.js';
import type { PageOrder } from '../../warehouse/queries/keyset.js';
import { ACTIVITY_CLASSES } from '../../model/events.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { connection, pageArgs, type Connection } from '../paging.js';
import { activityNode, type ActivityNode } from '../nodes.js';
import { ActivityConnection } from '../types/activity.js';
import { ActivityFilter, FeedOrder } from '../types/filters.js';
import { DateTimeScalar } from '../types/scalars.js';

const FIRST = 'At most this many (default 20; the server caps it, see docs/graphql.md).';
const AFTER = 'A `cursor` or `pageInfo.endCursor` from a previous page.';

function checkClasses(classes: readonly string[] | null | undefined): string[] | null {
  if (!classes) return null;
  const unknown = classes.filter((c) => !(ACTIVITY_CLASSES as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new AuditqlError(ErrorCode.BAD_INPUT, `unknown activity class ${JSON.stringify(unknown[0])}; expected one of ${ACTIVITY_CLASSES.join(', ')}`);
  }
  return [...classes];
}

export async function activityConnection(
  ctx: ApiContext, q: ActivityQuery, first: number | null | undefined, after: string | null | undefined, order: PageOrder,
): Promise<Connection<ActivityNode>> {
  const page = pageArgs('activity', first, after, ctx.maxPageSize);
  const rows = await pageActivity(ctx.warehouse.db, q, { limit: page.limit, after: page.after, order });
  return connection(rows, page, activityNode);
}

@Resolver()
export class ActivityQueries {
  @Query(() => ActivityConnection, {
    description: 'What a user did, newest first: statements and session events of this database user, and the statements of transactions attributed to this application user (`auditql.set_actor`).',
  })
  async activityByUser(
    @Arg('user', () => String, { description: 'A database user or an application user.' }) user: string,
    @Arg('since', () => DateTimeScalar, { nullable: true, description: 'At or after (inclusive).' }) since: Date | null | undefined,
    @Arg('until', () => DateTimeScalar, { nullable: true, description: 'Before (exclusive).' }) until: Date | null | undefined,
    @Arg('classes', () => [String], { nullable: true, description: 'Only these classes (READ, WRITE, DDL, …).' }) classes: string[] | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: FIRST }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER }) after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ActivityNode>> {
    const page = pageArgs('activity', first, after, ctx.maxPageSize);
    const q = { since, until, classes: checkClasses(classes) };
    const rows = await pageActivityByUser(ctx.warehouse.db, user, q, { limit: page.limit, after: page.after, order: 'NEWEST_FIRST' });
    return connection(rows, page, activityNode);
  }

  @Query(() => ActivityConnection, { description: 'All activity matching a filter: newest first, or in feed order.' })
  activity(
    @Arg('filter', () => ActivityFilter, { nullable: true }) filter: ActivityFilter | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: FIRST }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER }) after: string | null | undefined,
    @Arg('order', () => FeedOrder, { nullable: true, description: 'Default NEWEST_FIRST.' }) order: PageOrder | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ActivityNode>> {
    return activityConnection(ctx, activityQueryOf(filter), first, after, order ?? 'NEWEST_FIRST');
  }
}

/** A GraphQL `ActivityFilter` as a warehouse query (also used by subscriptions, docs/subscriptions.md). */
export function activityQueryOf(f: ActivityFilter | null | undefined): ActivityQuery {
  if (!f) return {};
  return {
    database: f.database,
    dbUser: f.user,
    classes: checkClasses(f.classes),
    commands: f.commands,
    objectName: f.objectName,
    success: f.success,
    since: f.since,
    until: f.until,
    txId: f.transactionId,
    sessionId: f.sessionId,
    server: f.server,
    source: f.source,
    format: f.format,
  };
}
