/** `Query.apiAccess(filter, first, after)`: the access audit, oldest first (admin and auditor; docs/security.md "Access audit"). */
import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { pageApiAccess, type ApiAccessRecord } from '../../warehouse/queries/api-access.js';
import type { ApiContext } from '../context.js';
import { decodeAccessCursor, encodeAccessCursor } from '../cursor.js';
import { connection, DEFAULT_PAGE_SIZE, type Connection } from '../paging.js';
import { ApiAccessConnection, ApiAccessFilter } from '../types/api-access.js';

export interface ApiAccessNode extends ApiAccessRecord {
  readonly id: string;
  readonly cursor: string;
}

export const accessNode = (r: ApiAccessRecord): ApiAccessNode => ({ id: r.seq, cursor: encodeAccessCursor(r.seq), ...r });

@Resolver()
export class ApiAccessQueries {
  @Query(() => ApiAccessConnection, { description: 'Who read the audit trail: every API operation and refusal recorded, oldest first.' })
  async apiAccess(
    @Arg('filter', () => ApiAccessFilter, { nullable: true }) filter: ApiAccessFilter | null | undefined,
    @Arg('first', () => Int, { nullable: true, description: 'At most this many (default 20; the server caps it).' }) first: number | null | undefined,
    @Arg('after', () => String, { nullable: true, description: 'A `cursor` or `pageInfo.endCursor` from a previous page.' }) after: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<Connection<ApiAccessNode>> {
    const n = first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(n) || n < 0) throw new AuditqlError(ErrorCode.BAD_INPUT, '`first` must be zero or more');
    if (n > ctx.maxPageSize) throw new AuditqlError(ErrorCode.PAGE_TOO_LARGE, `\`first\` is ${n}; at most ${ctx.maxPageSize} per page`);
    const afterSeq = after == null ? null : decodeAccessCursor(after);
    const rows = await pageApiAccess(ctx.warehouse.db, { limit: n + 1, afterSeq, filter: filter ?? {} });
    return connection(rows, { first: n, limit: n + 1, after: afterSeq === null ? null : { seq: afterSeq, partUs: '0' } }, accessNode);
  }
}
