/**
 * Relay connections (https://relay.dev/graphql/connections.htm) over keyset pages: `first` rows after a
 * cursor, asking the warehouse for one more to learn whether a next page exists.
 */
import { AuditqlError, ErrorCode } from '../errors.js';
import type { Keyset } from '../warehouse/queries/keyset.js';
import { decodeActivityCursor, decodeChangeCursor, decodeSchemaChangeCursor, type CursorKind } from './cursor.js';

const DECODE: Record<Exclude<CursorKind, 'actor update' | 'access record'>, (cursor: string) => Keyset> = {
  change: decodeChangeCursor, activity: decodeActivityCursor, 'schema change': decodeSchemaChangeCursor,
};

export const DEFAULT_PAGE_SIZE = 20;
export const DEFAULT_MAX_PAGE_SIZE = 500;

export interface PageArgs {
  /** Rows to show. */
  readonly first: number;
  /** Rows to ask the warehouse for (`first + 1`). */
  readonly limit: number;
  readonly after: Keyset | null;
}

export function pageArgs(kind: Exclude<CursorKind, 'actor update' | 'access record'>, first: number | null | undefined, after: string | null | undefined, maxPageSize: number): PageArgs {
  const n = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 0) throw new AuditqlError(ErrorCode.BAD_INPUT, '`first` must be zero or more');
  if (n > maxPageSize) {
    throw new AuditqlError(ErrorCode.PAGE_TOO_LARGE, `\`first\` is ${n}; at most ${maxPageSize} per page — follow \`pageInfo.endCursor\` for more`);
  }
  const decoded = after == null ? null : DECODE[kind](after);
  return { first: n, limit: n + 1, after: decoded };
}

export interface Edge<N> {
  readonly cursor: string;
  readonly node: N;
}

export interface Connection<N> {
  readonly edges: readonly Edge<N>[];
  readonly nodes: readonly N[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    /** Forward paging only: true when the page started after a cursor. */
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
}

/** A connection from `first + 1` rows (at most): the extra row only says that a next page exists. */
export function connection<R, N extends { readonly cursor: string }>(rows: readonly R[], page: PageArgs, toNode: (row: R) => N): Connection<N> {
  const nodes = rows.slice(0, page.first).map(toNode);
  const edges = nodes.map((node) => ({ cursor: node.cursor, node }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
