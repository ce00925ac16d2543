/**
 * `Transaction`: the `transaction(id)` query and every field beyond its identity, each through a
 * per-request DataLoader so a page of changes asking for their transactions costs one statement per field
 * group, not one per change.
 */
import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { transactionServers, type TransactionSummary } from '../../warehouse/queries/transaction-summary.js';
import type { JsonRow } from '../../model/json.js';
import type { ApiContext } from '../context.js';
import { connection, pageArgs, type Connection } from '../paging.js';
import { activityNode, changeNode, transactionNode, type ActivityNode, type ChangeNode, type TransactionNode } from '../nodes.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { Transaction } from '../types/transaction.js';
import { ChangeConnection } from '../types/change.js';
import { ActivityConnection } from '../types/activity.js';
import { DateTimeScalar, JSONScalar, SafeIntScalar } from '../types/scalars.js';

const summary = (t: TransactionNode, ctx: ApiContext): Promise<TransactionSummary> => ctx.loaders.transactionSummary.load(t);

const exists = (s: TransactionSummary) => s.changeCount + s.activityCount + s.contextCount + s.boundaryCount > 0;

@Resolver(() => Transaction)
export class TransactionFields {
  @Query(() => Transaction, {
    nullable: true,
    description: 'A source transaction by id. When the id occurs on several servers, name one with `server`.',
  })
  async transaction(
    @Arg('id', () => String) id: string,
    @Arg('server', () => String, { nullable: true }) server: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<TransactionNode | null> {
    if (server != null) {
      const node = transactionNode(id, server)!;
      return exists(await summary(node, ctx)) ? node : null;
    }
    const servers = await transactionServers(ctx.warehouse.db, id);
    if (servers.length === 0) return null;
    if (servers.length > 1) {
      throw new AuditqlError(ErrorCode.BAD_INPUT, `transaction ${JSON.stringify(id)} occurs on ${servers.length} servers; pass \`server\` to choose one`);
    }
    return transactionNode(id, servers[0]!);
  }

  @FieldResolver(() => Int, { description: 'Changes the warehouse holds of it.' })
  async changeCount(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<number> {
    return (await summary(t, ctx)).changeCount;
  }

  @FieldResolver(() => Int, { description: 'Activity events the warehouse holds of it.' })
  async activityCount(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<number> {
    return (await summary(t, ctx)).activityCount;
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: 'When it committed (the latest commit time of its changes).' })
  async committedAt(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<Date | null> {
    return (await summary(t, ctx)).lastCommittedAt;
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: 'Its BEGIN, where the source reports boundaries.' })
  async beganAt(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<Date | null> {
    return (await summary(t, ctx)).beganAt;
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: 'Its END/COMMIT, where the source reports boundaries.' })
  async endedAt(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<Date | null> {
    return (await summary(t, ctx)).endedAt;
  }

  @FieldResolver(() => SafeIntScalar, { nullable: true, description: 'Events the source says it held (Debezium END `event_count`).' })
  async eventCount(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<number | null> {
    const n = (await summary(t, ctx)).eventCount;
    return n === null ? null : Number(n);
  }

  @FieldResolver(() => JSONScalar, { nullable: true, description: 'Application context sent in it (the first context message), e.g. {"user": "alice@example.com"}.' })
  async context(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<JsonRow | null> {
    return (await summary(t, ctx)).context;
  }

  @FieldResolver(() => String, { nullable: true, description: 'The application user its context names.' })
  async appUser(@Root() t: TransactionNode, @Ctx() ctx: ApiContext): Promise<string | null> {
    return (await summary(t, ctx)).appUser;
  }

  @FieldResolver(() => ChangeConnection, { description: 'Its changes, in the order the warehouse stored them.' })
  async changes(
    @Root() t: TransactionNode,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ChangeNode>> {
    const page = pageArgs('change', first, after, ctx.maxPageSize);
    const rows = await ctx.loaders.transactionChanges.load({ txId: t.txId, server: t.server, limit: page.limit, afterSeq: page.after?.seq ?? null });
    return connection(rows, page, changeNode);
  }

  @FieldResolver(() => ActivityConnection, {
    description: 'Statements that ran in it: activity with its id on the same server, and activity attribution linked to its changes.',
  })
  async activity(
    @Root() t: TransactionNode,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ActivityNode>> {
    const page = pageArgs('activity', first, after, ctx.maxPageSize);
    const rows = await ctx.loaders.transactionActivity.load({ txId: t.txId, server: t.server, limit: page.limit, afterSeq: page.after?.seq ?? null });
    return connection(rows, page, activityNode);
  }
}

