/** Attribution coverage (docs/attribution.md "Reading it"): how many changes are attributed, and which ones are not. */
import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { attributionCoverage, pageUnattributedChanges, type AttributionCoverage as CoverageRow } from '../../warehouse/queries/attribution-coverage.js';
import type { ChangeQuery } from '../../warehouse/queries/change-page.js';
import type { ApiContext } from '../context.js';
import { connection, pageArgs, type Connection } from '../paging.js';
import { changeNode, type ChangeNode } from '../nodes.js';
import { AttributionCoverage } from '../types/attribution-coverage.js';
import { ChangeConnection } from '../types/change.js';
import { DateTimeScalar } from '../types/scalars.js';

const counts = (r: CoverageRow) => ({
  total: Number(r.total),
  exact: Number(r.exact),
  probable: Number(r.probable),
  unattributed: Number(r.unattributed),
  conflicting: Number(r.conflicting),
  withDbUser: Number(r.withDbUser),
  withAppUser: Number(r.withAppUser),
});

@Resolver()
export class AttributionQueries {
  @Query(() => AttributionCoverage, {
    description: 'How many changes (committed in a time range, of a source, a server or a table) are attributed exactly, probably, or not at all.',
  })
  async attributionCoverage(
    @Arg('since', () => DateTimeScalar, { nullable: true, description: 'Committed at or after (inclusive).' }) since: Date | null | undefined,
    @Arg('until', () => DateTimeScalar, { nullable: true, description: 'Committed before (exclusive).' }) until: Date | null | undefined,
    @Arg('source', () => String, { nullable: true, description: 'The ingest stream (`auditql ingest --source`).' }) source: string | null | undefined,
    @Arg('server', () => String, { nullable: true }) server: string | null | undefined,
    @Arg('table', () => String, { nullable: true }) table: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<AttributionCoverage> {
    return counts(await attributionCoverage(ctx.warehouse.db, { since, until, source, server, table }));
  }

  @Query(() => ChangeConnection, { description: 'Changes no evidence attributes to anyone, newest first: the gaps `attributionCoverage` counts.' })
  async unattributedChanges(
    @Arg('since', () => DateTimeScalar, { nullable: true, description: 'Committed at or after (inclusive).' }) since: Date | null | undefined,
    @Arg('until', () => DateTimeScalar, { nullable: true, description: 'Committed before (exclusive).' }) until: Date | null | undefined,
    @Arg('source', () => String, { nullable: true, description: 'The ingest stream (`auditql ingest --source`).' }) source: string | null | undefined,
    @Arg('server', () => String, { nullable: true }) server: string | null | undefined,
    @Arg('table', () => String, { nullable: true }) table: string | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: 'At most this many (default 20; the server caps it, see docs/graphql.md).' }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: 'A `cursor` or `pageInfo.endCursor` from a previous page.' }) after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ChangeNode>> {
    const q: ChangeQuery = { since, until, source, server, table };
    const page = pageArgs('change', first, after, ctx.maxPageSize);
    const rows = await pageUnattributedChanges(ctx.warehouse.db, q, { limit: page.limit, after: page.after, order: 'NEWEST_FIRST' });
    return connection(rows, page, changeNode);
  }
}
