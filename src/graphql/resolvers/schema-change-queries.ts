/** The schema-change timeline: `schemaChanges`, DDL from Maxwell and Debezium, newest first (docs/graphql.md). */
import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { pageSchemaChanges } from '../../warehouse/queries/schema-change-page.js';
import type { ApiContext } from '../context.js';
import { schemaChangeNode, type SchemaChangeNode } from '../nodes.js';
import { connection, pageArgs, type Connection } from '../paging.js';
import { SchemaChangeConnection } from '../types/schema-change.js';
import { DateTimeScalar } from '../types/scalars.js';

@Resolver()
export class SchemaChangeQueries {
  @Query(() => SchemaChangeConnection, {
    description: 'DDL as the sources reported it (Maxwell, Debezium), newest first; DDL of unknown time comes last.',
  })
  async schemaChanges(
    @Arg('table', () => String, { nullable: true, description: 'Only DDL about this table.' }) table: string | null | undefined,
    @Arg('since', () => DateTimeScalar, { nullable: true, description: 'Occurred at or after (inclusive).' }) since: Date | null | undefined,
    @Arg('until', () => DateTimeScalar, { nullable: true, description: 'Occurred before (exclusive).' }) until: Date | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: 'At most this many (default 20; the server caps it, see docs/graphql.md).' }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: 'A `cursor` or `pageInfo.endCursor` from a previous page.' }) after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<SchemaChangeNode>> {
    const page = pageArgs('schema change', first, after, ctx.maxPageSize);
    const rows = await pageSchemaChanges(ctx.warehouse.db, { table, since, until }, { limit: page.limit, after: page.after });
    return connection(rows, page, schemaChangeNode);
  }
}
