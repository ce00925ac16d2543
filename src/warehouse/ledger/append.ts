/**
 * Appending a batch's rows to the log, inside the sink's transaction and under FEED_LOCK (sink.ts): the
 * rows with a seq above the log's last one and at most the highest seq this session allocated become leaves
 * in seq order — one INSERT … SELECT that reads them back as stored and hashes them in PostgreSQL with the
 * canonical expression (canonical.ts) — then the compact range advances in Node and the state row is
 * rewritten. Reading back is what makes the leaf a hash of the stored columns, not of the input: jsonb
 * normalizes what it is given, so the sink's COPY text is not what a verifier can read later.
 *
 * Changes and activity are read only from the partitions the batch wrote to (their part_at bounds), so an
 * append costs index probes in those partitions, not in every partition kept.
 */
import type pg from 'pg';
import { LEAF_TABLES, leafHashSql } from './canonical.js';
import { CompactRange, type CompletedNode } from './merkle.js';

/** Perfect subtrees of at least 2^NODE_LEVEL leaves are stored (auditql.ledger_nodes) for proofs. */
export const NODE_LEVEL = 8;

/** Where the log stands (auditql.ledger_state). */
export interface LedgerState {
  readonly size: number;
  readonly lastSeq: string;
  readonly range: CompactRange;
  readonly sealedSize: number;
  readonly sealedAt: Date | null;
}

/** The part_at bounds [from, to] a batch wrote to, per partitioned table; absent: the batch wrote none. */
export type PartBounds = Partial<Record<'changes' | 'activity', readonly [string, string]>>;

interface StateRow { tree_size: string; last_seq: string; frontier: Buffer[]; sealed_size: string; sealed_at: Date | null }

export async function readState(client: pg.ClientBase, forUpdate = false): Promise<LedgerState> {
  const r = await client.query<StateRow>(
    `SELECT tree_size, last_seq, frontier, sealed_size, sealed_at FROM auditql.ledger_state${forUpdate ? ' FOR UPDATE' : ''}`);
  const s = r.rows[0];
  if (!s) throw new Error('auditql.ledger_state has no row');
  return {
    size: Number(s.tree_size),
    lastSeq: s.last_seq,
    range: new CompactRange(Number(s.tree_size), s.frontier),
    sealedSize: Number(s.sealed_size),
    sealedAt: s.sealed_at,
  };
}

/** $1 last seq, $2 highest seq, $3 first leaf index, $4..$7 part_at bounds of changes and activity. */
const APPEND_SQL = (() => {
  let p = 4;
  const parts = LEAF_TABLES.map((t) => {
    const partCond = t.partitioned ? ` AND r.part_at BETWEEN $${p++}::timestamptz AND $${p++}::timestamptz` : '';
    return `SELECT r.seq, ${t.kind}::int2 AS kind, ${t.partitioned ? 'r.part_at' : 'NULL::timestamptz'} AS part_at, ${leafHashSql(t, 'r')} AS leaf ` +
      `FROM auditql.${t.table} r WHERE r.seq > $1::int8 AND r.seq <= $2::int8${partCond}`;
  });
  return `INSERT INTO auditql.ledger_leaves (leaf_index, seq, kind, part_at, leaf_hash) ` +
    `SELECT $3::int8 + row_number() OVER (ORDER BY u.seq) - 1, u.seq, u.kind, u.part_at, u.leaf FROM (${parts.join(' UNION ALL ')}) u ` +
    `RETURNING leaf_index, leaf_hash`;
})();

const UPDATE_STATE_SQL = `UPDATE auditql.ledger_state SET tree_size = $1, last_seq = $2, frontier = $3`;
const NODES_SQL = `INSERT INTO auditql.ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::int2[], $2::int8[], $3::bytea[])`;

/**
 * Append every row the current transaction stored (seq in (last, currval]) and return the new state.
 * `bounds` null: no bounds (the first append after the ledger was installed takes in all earlier rows).
 */
export async function appendLeaves(client: pg.ClientBase, bounds: PartBounds | null): Promise<LedgerState> {
  const state = await readState(client);
  const head = (await client.query<{ s: string }>(`SELECT currval('auditql.feed_seq')::text AS s`)).rows[0]!.s;
  if (BigInt(head) <= BigInt(state.lastSeq)) return state;
  const unbounded = bounds === null || state.size === 0;
  const b = (t: 'changes' | 'activity'): [string | null, string | null] => {
    if (unbounded) return ['-infinity', 'infinity'];
    const x = bounds[t];
    return x ? [x[0], x[1]] : [null, null];
  };
  const r = await client.query<{ leaf_index: string; leaf_hash: Buffer }>(APPEND_SQL, [
    state.lastSeq, head, state.size, ...b('changes'), ...b('activity'),
  ]);
  const leaves = r.rows.map((x) => [Number(x.leaf_index), x.leaf_hash] as const).sort((a, b) => a[0] - b[0]);
  const range = state.range;
  const nodes: CompletedNode[] = [];
  const keep = (n: CompletedNode) => { if (n.level >= NODE_LEVEL) nodes.push(n); };
  for (const [, h] of leaves) range.append(h, keep);
  if (nodes.length > 0) {
    await client.query(NODES_SQL, [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)]);
  }
  await client.query(UPDATE_STATE_SQL, [range.size, head, range.roots]);
  return { ...state, size: range.size, lastSeq: head, range };
}

/** Part_at bounds of the cells a batch's COPY wrote (ISO text, so text order is time order). */
export function boundsOf(times: Iterable<string>): readonly [string, string] | undefined {
  let lo: string | undefined;
  let hi: string | undefined;
  for (const t of times) {
    if (lo === undefined || t < lo) lo = t;
    if (hi === undefined || t > hi) hi = t;
  }
  return lo === undefined ? undefined : [lo, hi!];
}
