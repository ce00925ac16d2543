/**
 * What `verify` reads, as streams in seq order, in one snapshot: the leaves the sink logged
 * (auditql.ledger_leaves) and the leaves recomputed from the rows of every leaf table (canonical.ts), each
 * through COPY … TO STDOUT so a large warehouse streams at the speed of the socket.
 */
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { LEAF_TABLES, leafHashSql, type LeafTable } from './canonical.js';

export interface LoggedLeaf {
  readonly index: number;
  readonly seq: bigint;
  readonly kind: number;
  /** Microseconds since the epoch; null for unpartitioned kinds. */
  readonly partAt: number | null;
  readonly hash: Buffer;
}

export interface RowLeaf {
  readonly seq: bigint;
  readonly kind: number;
  readonly hash: Buffer;
}

const MICROS = (ref: string) => `(extract(epoch from ${ref}) * 1000000)::int8`;

async function* copyLines(client: pg.ClientBase, sql: string): AsyncGenerator<string[]> {
  const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT`));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) yield line.split('\t');
}

export async function* loggedLeaves(client: pg.ClientBase): AsyncGenerator<LoggedLeaf> {
  const sql = `SELECT leaf_index, seq, kind, ${MICROS('part_at')}, encode(leaf_hash, 'hex') FROM auditql.ledger_leaves ORDER BY leaf_index`;
  for await (const [i, seq, kind, part, hash] of copyLines(client, sql)) {
    yield { index: Number(i), seq: BigInt(seq!), kind: Number(kind), partAt: part === '\\N' ? null : Number(part), hash: Buffer.from(hash!, 'hex') };
  }
}

/**
 * Leaves recomputed from the rows of `tables` (one seq space: the feed's by default) with seq ≥ `fromSeq`,
 * in seq order (a reused seq comes out twice).
 */
export async function* rowLeaves(client: pg.ClientBase, fromSeq: bigint, tables: readonly LeafTable[] = LEAF_TABLES): AsyncGenerator<RowLeaf> {
  const parts = tables.map((t) =>
    `SELECT r.seq, ${t.kind} AS kind, encode(${leafHashSql(t, 'r')}, 'hex') AS leaf FROM auditql.${t.table} r WHERE r.seq >= ${fromSeq}::int8`);
  const sql = `SELECT seq, kind, leaf FROM (${parts.join(' UNION ALL ')}) u ORDER BY seq, kind`;
  for await (const [seq, kind, hash] of copyLines(client, sql)) {
    yield { seq: BigInt(seq!), kind: Number(kind), hash: Buffer.from(hash!, 'hex') };
  }
}

/** Connections reading one snapshot: `a` exports it, the others adopt it. All end in ROLLBACK (read only). */
export async function shareSnapshot(a: pg.ClientBase, ...others: pg.ClientBase[]): Promise<void> {
  await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const snap = (await a.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
  for (const b of others) {
    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await b.query(`SET TRANSACTION SNAPSHOT '${snap.replace(/'/g, "''")}'`);
  }
}
