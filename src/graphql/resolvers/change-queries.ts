/** The change queries of the contract: `entityHistory`, `whoChanged`, `changes` and `change`. */
import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { pageChanges, changeBySeq, type ChangeQuery } from '../../warehouse/queries/change-page.js';
import type { PageOrder } from '../../warehouse/queries/keyset.js';
import type { ApiContext } from '../context.js';
import { connection, pageArgs, type Connection } from '../paging.js';
import { changeNode, type ChangeNode } from '../nodes.js';
import { keyTextOf } from '../key-arg.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { Change, ChangeConnection } from '../types/change.js';
import { ChangeFilter, FeedOrder } from '../types/filters.js';
import { DateTimeScalar, JSONScalar } from '../types/scalars.js';

const FIRST = 'At most this many (default 20; the server caps it, see docs/graphql.md).';
const AFTER = 'A `cursor` or `pageInfo.endCursor` from a previous page.';

export async function changeConnection(
  ctx: ApiContext, q: ChangeQuery, first: number | null | undefined, after: string | null | undefined, order: PageOrder,
): Promise<Connection<ChangeNode>> {
  const page = pageArgs('change', first, after, ctx.maxPageSize);
  const rows = await pageChanges(ctx.warehouse.db, q, { limit: page.limit, after: page.after, order });
  return connection(rows, page, changeNode);
}

@Resolver()
export class ChangeQueries {
  @Query(() => ChangeConnection, { description: "One entity's history, newest first: every change of the row with this key." })
  entityHistory(
    @Arg('table', () => String) table: string,
    @Arg('key', () => JSONScalar, { description: 'Primary-key columns → values; any JSON scalar type matches ({id: 1001} = {id: "1001"}).' }) key: unknown,
    @Arg('database', () => String, { nullable: true }) database: string | null | undefined,
    @Arg('schema', () => String, { nullable: true }) schema: string | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: FIRST }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER }) after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ChangeNode>> {
    return changeConnection(ctx, { table, keyText: keyTextOf(key), database, schema }, first, after, 'NEWEST_FIRST');
  }

  @Query(() => ChangeConnection, {
    description: 'Who changed what: changes of a table (optionally one row, optionally touching one field) in a time window, newest first. Ask each change for its `actor`.',
  })
  whoChanged(
    @Arg('table', () => String) table: string,
    @Arg('key', () => JSONScalar, { nullable: true }) key: unknown,
    @Arg('field', () => String, { nullable: true, description: 'Only changes that touched this column.' }) field: string | null | undefined,
    @Arg('since', () => DateTimeScalar, { nullable: true, description: 'Committed at or after (inclusive).' }) since: Date | null | undefined,
    @Arg('until', () => DateTimeScalar, { nullable: true, description: 'Committed before (exclusive).' }) until: Date | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: FIRST }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER }) after: string | null | undefined,
    @Arg('database', () => String, { nullable: true }) database: string | null | undefined,
    @Arg('schema', () => String, { nullable: true }) schema: string | null | undefined,
    @Arg('user', () => String, {
      nullable: true,
      description: 'Only changes whose attribution evidence names this database user or application user.',
    }) user: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ChangeNode>> {
    const keyText = key === null || key === undefined ? null : keyTextOf(key);
    return changeConnection(ctx, { table, keyText, field, since, until, database, schema, actor: user }, first, after, 'NEWEST_FIRST');
  }

  @Query(() => ChangeConnection, { description: 'All changes matching a filter: newest first, or in feed order (the order subscriptions follow).' })
  changes(
    @Arg('filter', () => ChangeFilter, { nullable: true }) filter: ChangeFilter | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: FIRST }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: AFTER }) after: string | null | undefined,
    @Arg('order', () => FeedOrder, { nullable: true, description: 'Default NEWEST_FIRST.' }) order: PageOrder | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ChangeNode>> {
    return changeConnection(ctx, changeQueryOf(filter), first, after, order ?? 'NEWEST_FIRST');
  }

  @Query(() => Change, { nullable: true, description: 'One change by its `id`.' })
  async change(@Arg('id', () => ID) id: string, @Ctx() ctx: ApiContext): Promise<ChangeNode | null> {
    if (!/^\d{1,19}$/.test(id)) throw new AuditqlError(ErrorCode.BAD_INPUT, '`id` is not a change id');
    const r = await changeBySeq(ctx.warehouse.db, id);
    return r ? changeNode(r) : null;
  }
}

/** A GraphQL `ChangeFilter` as a warehouse query (also used by subscriptions, docs/subscriptions.md). */
export function changeQueryOf(f: ChangeFilter | null | undefined): ChangeQuery {
  if (!f) return {};
  return {
    table: f.table,
    keyText: f.key === null || f.key === undefined ? null : keyTextOf(f.key),
    database: f.database,
    schema: f.schema,
    operations: f.operations,
    field: f.field,
    actor: f.actor,
    since: f.since,
    until: f.until,
    txId: f.transactionId,
    server: f.server,
    source: f.source,
    format: f.format,
  };
}
