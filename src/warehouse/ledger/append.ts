/**
 * Appending to the log (docs/ledger.md "Appending"). Leaves go in seq order, and writers commit side by
 * side, so a sink's transaction does not append its own rows: after its COMMIT it runs the follower
 * (`followLedger`), a short transaction under LEDGER_LOCK that appends every row with a seq above the log's
 * last one and at most the feed's watermark (`auditql.feed_head()`, src/warehouse/queries/feed.ts): rows
 * at or below it are all committed, so none can arrive later below a leaf already appended. A writer whose
 * rows are above the watermark because an older writer is still in flight is covered by whichever follower
 * runs after that one commits: the last committer always covers everyone; sealing and retention run the
 * follower first too.
 *
 * One INSERT … SELECT reads the rows back as stored and hashes them in PostgreSQL with the canonical
 * expression (canonical.ts), then the compact range advances in Node and the state row is rewritten.
 * Reading back is what makes the leaf a hash of the stored columns, not of the input: jsonb normalizes what
 * it is given, so the sink's COPY text is not what a verifier can read later.
 *
 * The API access records have their own sequence, not the feed's; each run appends them after the feed's
 * rows, in their seq order, up to the highest access seq committed (`accessHead`: every access batch holds
 * ACCESS_LOCK from before drawing its seqs until it commits, src/warehouse/queries/api-access.ts, so none
 * can later arrive below it). Leaf positions of the two spaces interleave run by run; within each space
 * they are in seq order.
 */
import type pg from 'pg';
import type { LeafTable } from './canonical.js';
import { ACCESS_LEAF_TABLE, LEAF_TABLES, leafHashSql } from './canonical.js';
import { CompactRange, type CompletedNode } from './merkle.js';
import { LEDGER_LOCK } from '../locks.js';

/** Perfect subtrees of at least 2^NODE_LEVEL leaves are stored (auditql.ledger_nodes) for proofs. */
export const NODE_LEVEL = 8;

/** Where the log stands (auditql.ledger_state). */
export interface LedgerState {
  readonly size: number;
  readonly lastSeq: string;
  /** The highest API access record seq logged (its own seq space). */
  readonly lastAccessSeq: string;
  readonly range: CompactRange;
  readonly sealedSize: number;
  readonly sealedAt: Date | null;
}

interface StateRow { tree_size: string; last_seq: string; last_access_seq: string; frontier: Buffer[]; sealed_size: string; sealed_at: Date | null }

export async function readState(client: pg.ClientBase, forUpdate = false): Promise<LedgerState> {
  const r = await client.query<StateRow>(
    `SELECT tree_size, last_seq, last_access_seq, frontier, sealed_size, sealed_at FROM auditql.ledger_state${forUpdate ? ' FOR UPDATE' : ''}`);
  const s = r.rows[0];
  if (!s) throw new Error('auditql.ledger_state has no row');
  return {
    size: Number(s.tree_size),
    lastSeq: s.last_seq,
    lastAccessSeq: s.last_access_seq,
    range: new CompactRange(Number(s.tree_size), s.frontier),
    sealedSize: Number(s.sealed_size),
    sealedAt: s.sealed_at,
  };
}

/** An INSERT … SELECT of the leaves of `tables`: $1 last seq, $2 highest seq, $3 first leaf index. */
const appendSql = (tables: readonly LeafTable[]): string => {
  const parts = tables.map((t) =>
    `SELECT r.seq, ${t.kind}::int2 AS kind, ${t.partitioned ? 'r.part_at' : 'NULL::timestamptz'} AS part_at, ${leafHashSql(t, 'r')} AS leaf ` +
      `FROM auditql.${t.table} r WHERE r.seq > $1::int8 AND r.seq <= $2::int8`);
  return `INSERT INTO auditql.ledger_leaves (leaf_index, seq, kind, part_at, leaf_hash) ` +
    `SELECT $3::int8 + row_number() OVER (ORDER BY u.seq) - 1, u.seq, u.kind, u.part_at, u.leaf FROM (${parts.join(' UNION ALL ')}) u ` +
    `RETURNING leaf_index, leaf_hash`;
};
const APPEND_SQL = appendSql(LEAF_TABLES);
const APPEND_ACCESS_SQL = appendSql([ACCESS_LEAF_TABLE]);
const ACCESS_HEAD_SQL = `SELECT coalesce(max(seq), 0)::text AS s FROM auditql.api_access`;

const UPDATE_STATE_SQL = `UPDATE auditql.ledger_state SET tree_size = $1, last_seq = $2, last_access_seq = $3, frontier = $4`;
const NODES_SQL = `INSERT INTO auditql.ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::int2[], $2::int8[], $3::bytea[])`;

/** Take LEDGER_LOCK in the caller's transaction: appends, seals and signed retention take turns. */
export async function lockLedger(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [LEDGER_LOCK]);
}

/**
 * In the caller's transaction, holding LEDGER_LOCK: append every row with seq in (last, watermark] and
 * return the new state.
 */
export async function appendLeaves(client: pg.ClientBase): Promise<LedgerState> {
  const state = await readState(client);
  const head = (await client.query<{ s: string }>(`SELECT auditql.feed_head()::text AS s`)).rows[0]!.s;
  const accessHead = (await client.query<{ s: string }>(ACCESS_HEAD_SQL)).rows[0]!.s;
  const feedNew = BigInt(head) > BigInt(state.lastSeq);
  const accessNew = BigInt(accessHead) > BigInt(state.lastAccessSeq);
  if (!feedNew && !accessNew) return state;
  const range = state.range;
  const nodes: CompletedNode[] = [];
  const keep = (n: CompletedNode) => { if (n.level >= NODE_LEVEL) nodes.push(n); };
  const append = async (sql: string, last: string, upto: string) => {
    const r = await client.query<{ leaf_index: string; leaf_hash: Buffer }>(sql, [last, upto, range.size]);
    const leaves = r.rows.map((x) => [Number(x.leaf_index), x.leaf_hash] as const).sort((a, b) => a[0] - b[0]);
    for (const [, h] of leaves) range.append(h, keep);
  };
  if (feedNew) await append(APPEND_SQL, state.lastSeq, head);
  if (accessNew) await append(APPEND_ACCESS_SQL, state.lastAccessSeq, accessHead);
  if (nodes.length > 0) {
    await client.query(NODES_SQL, [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)]);
  }
  const lastSeq = feedNew ? head : state.lastSeq;
  const lastAccessSeq = accessNew ? accessHead : state.lastAccessSeq;
  await client.query(UPDATE_STATE_SQL, [range.size, lastSeq, lastAccessSeq, range.roots]);
  return { ...state, size: range.size, lastSeq, lastAccessSeq, range };
}

/**
 * The follower: one short transaction on `client` (not inside another) that appends what the watermark
 * covers; `then` runs in it after the append (the sink seals a due checkpoint there).
 */
export async function followLedger<T>(client: pg.ClientBase, then: (state: LedgerState) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await lockLedger(client);
    const out = await then(await appendLeaves(client));
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
