/**
 * `auditql verify` (docs/ledger.md "Verification"): recompute every leaf from the rows, walk them beside
 * the leaves the sink logged in seq order, rebuild the tree, and hold it against every signed checkpoint
 * and retention event. Reports each divergence with the seq it is at; intact only when there is none.
 */
import type pg from 'pg';
import { ACCESS_LEAF_TABLE, leafHashSql, leafTableByKind } from './canonical.js';
import { DivergenceKind, type Divergence } from './divergence.js';
import { openCheckpoint, type CheckpointBody } from './checkpoint.js';
import { loggedLeaves, rowLeaves, shareSnapshot, type RowLeaf } from './leaf-streams.js';
import { CompactRange, type Hash } from './merkle.js';
import { openRetention, type RetentionEvent } from './retention-event.js';
import { SeqWalk, type Altered } from './seq-walk.js';
import type { Verifier } from './signed-note.js';

export { DivergenceKind, type Divergence } from './divergence.js';

export interface VerifyOptions {
  readonly trusted: readonly Verifier[];
  /** Checkpoint notes kept outside the warehouse (--checkpoint FILE). */
  readonly external?: readonly string[];
  /** Recompute rows from this seq on; leaves below it are taken as logged. */
  readonly fromSeq?: bigint;
  readonly onProgress?: (leaves: number) => void;
  /** Stop collecting after this many divergences (the count goes on). */
  readonly maxReported?: number;
}

export interface VerifyReport {
  readonly intact: boolean;
  readonly treeSize: number;
  readonly rowsChecked: number;
  readonly checkpointsVerified: number;
  readonly latestCheckpoint: { readonly size: number; readonly root: string } | null;
  /** Leaves not covered by any checkpoint yet (sealed within AUDITQL_CHECKPOINT_SECONDS). */
  readonly unsealed: number;
  /**
   * API access records above the last one logged: written by the API since the follower's last run, logged
   * by its next (not a divergence, and not proven until then).
   */
  readonly unloggedAccess: number;
  readonly retentionEvents: number;
  readonly divergenceCount: number;
  readonly divergences: readonly Divergence[];
}

interface TrustedCheckpoint extends CheckpointBody { readonly label: string }

export async function verifyLedger(pool: pg.Pool, o: VerifyOptions): Promise<VerifyReport> {
  const found: Divergence[] = [];
  let count = 0;
  const max = o.maxReported ?? 100;
  const report = (d: Divergence) => { count++; if (found.length < max) found.push(d); };
  const a = await pool.connect();
  const b = await pool.connect();
  const c = await pool.connect();
  try {
    await shareSnapshot(a, b, c);
    const checkpoints = await readCheckpoints(a, o, report);
    const retention = await readRetention(a, o.trusted, report);
    const fromSeq = o.fromSeq ?? 0n;
    const tree = new CompactRange();
    const pending = [...checkpoints].sort((x, y) => x.size - y.size);
    const altered: Altered[] = [];
    const name = (kind: number) => { try { return leafTableByKind(kind).table; } catch { return `kind ${kind}`; } };
    const hooks = { report, name, altered: (x: Altered) => { altered.push(x); } };
    const feed = new SeqWalk(bySeq(rowLeaves(b, fromSeq))[Symbol.asyncIterator](), fromSeq, 'added', { ...hooks, retained: (l) => {
      const event = retention.find((e) => e.kind === l.kind && l.partAt !== null && l.partAt >= e.fromMicros && l.partAt < e.toMicros);
      event?.removed.push(l.hash);
      return event !== undefined;
    } });
    // the access records are always recomputed whole: `--from` is a feed seq
    const access = new SeqWalk(bySeq(rowLeaves(c, 0n, [ACCESS_LEAF_TABLE]))[Symbol.asyncIterator](), 0n, 'unlogged', { ...hooks, retained: () => false });
    await feed.start();
    await access.start();

    for await (const leaf of loggedLeaves(a)) {
      await (leaf.kind === ACCESS_LEAF_TABLE.kind ? access : feed).leaf(leaf);
      tree.append(leaf.hash);
      while (pending.length && pending[0]!.size === tree.size) checkRoot(pending.shift()!, tree, leaf.seq, report);
      if (o.onProgress && tree.size % 65_536 === 0) o.onProgress(tree.size);
    }
    await feed.finish();
    await access.finish();
    await reportAltered(a, altered, report);
    for (const e of retention) checkRetention(e, report);
    for (const c of pending) {
      report({ kind: DivergenceKind.LOG_TRUNCATED, seq: null, table: null, treeSize: c.size,
        detail: `${c.label} covers ${c.size} leaves but the log has ${tree.size}: leaves were removed from its end` });
    }
    const latest = checkpoints.filter((c) => c.size <= tree.size).sort((x, y) => y.size - x.size)[0];
    found.sort((x, y) => (x.seq === null ? 1 : y.seq === null ? -1 : BigInt(x.seq) < BigInt(y.seq) ? -1 : 1));
    return {
      intact: count === 0,
      treeSize: tree.size,
      rowsChecked: feed.rowsChecked + access.rowsChecked,
      checkpointsVerified: checkpoints.length,
      latestCheckpoint: latest ? { size: latest.size, root: latest.root.toString('base64') } : null,
      unsealed: tree.size - (latest?.size ?? 0),
      unloggedAccess: access.unlogged,
      retentionEvents: retention.length,
      divergenceCount: count,
      divergences: found,
    };
  } finally {
    for (const x of [a, b, c]) {
      await x.query('ROLLBACK').catch(() => {});
      x.release();
    }
  }
}

/** Rows grouped by seq (one group per seq; more than one row in a group is a reused seq). */
async function* bySeq(rows: AsyncIterable<RowLeaf>): AsyncGenerator<RowLeaf[]> {
  let g: RowLeaf[] = [];
  for await (const r of rows) {
    if (g.length && g[0]!.seq !== r.seq) { yield g; g = []; }
    g.push(r);
  }
  if (g.length) yield g;
}

function checkRoot(c: TrustedCheckpoint, tree: CompactRange, seq: bigint, report: (d: Divergence) => void): void {
  if (c.root.equals(tree.root())) return;
  report({ kind: DivergenceKind.ROOT_MISMATCH, seq: null, table: null, treeSize: c.size,
    detail: `the tree of the first ${c.size} leaves (up to seq ${seq}) does not have the root ${c.label} signed: the logged leaves were edited at or before it` });
}

/**
 * Altered rows, with exchanges of seqs told apart: a row that, given another altered seq, hashes to that
 * seq's logged leaf is that leaf's row moved (the canonical bytes include the seq, so a moved row always
 * differs from its new seq's leaf). Pairs are only tried among a few altered rows.
 */
async function reportAltered(c: pg.ClientBase, list: readonly Altered[], report: (d: Divergence) => void): Promise<void> {
  const movedFrom = new Map<Altered, bigint>();
  if (list.length <= 32) {
    for (const x of list) {
      const t = leafTableByKind(x.kind);
      for (const y of list) {
        if (y === x || y.kind !== x.kind) continue;
        const r = await c.query<{ h: Buffer }>(`SELECT ${leafHashSql(t, 'r', '$2::int8')} AS h FROM auditql.${t.table} r WHERE r.seq = $1`, [x.seq, y.seq]);
        if (r.rows.some((h) => h.h.equals(y.logged))) { movedFrom.set(x, y.seq); break; }
      }
    }
  }
  for (const x of list) {
    const table = leafTableByKind(x.kind).table;
    const other = movedFrom.get(x);
    if (other !== undefined) {
      report({ kind: DivergenceKind.SEQ_SWAPPED, seq: String(x.seq), table,
        treeSize: null, detail: `the row stored with seq ${x.seq} in ${table} is the row logged as seq ${other}` });
    } else {
      report({ kind: DivergenceKind.ROW_ALTERED, seq: String(x.seq), table, treeSize: null,
        detail: `the row with seq ${x.seq} in ${table} no longer hashes to its logged leaf: its stored columns were changed` });
    }
  }
}

async function readCheckpoints(c: pg.ClientBase, o: VerifyOptions, report: (d: Divergence) => void): Promise<TrustedCheckpoint[]> {
  const r = await c.query<{ tree_size: string; note: string }>('SELECT tree_size, note FROM auditql.ledger_checkpoints ORDER BY tree_size');
  const notes = [
    ...r.rows.map((x) => ({ note: x.note, label: `the checkpoint of size ${x.tree_size}`, size: Number(x.tree_size) })),
    ...(o.external ?? []).map((note, i) => ({ note, label: `the saved checkpoint #${i + 1}`, size: null })),
  ];
  const out: TrustedCheckpoint[] = [];
  for (const n of notes) {
    const v = openCheckpoint(n.note, o.trusted);
    if (!v.ok) {
      report({ kind: v.reason === 'UNKNOWN_KEY' ? DivergenceKind.CHECKPOINT_UNTRUSTED : DivergenceKind.CHECKPOINT_FORGED,
        seq: null, table: null, treeSize: n.size, detail: `${n.label}: ${v.detail}` });
      continue;
    }
    if (n.size !== null && v.checkpoint.size !== n.size) {
      report({ kind: DivergenceKind.CHECKPOINT_FORGED, seq: null, table: null, treeSize: n.size,
        detail: `${n.label} is stored as size ${n.size} but its signed text says ${v.checkpoint.size}` });
      continue;
    }
    out.push({ ...v.checkpoint, label: n.label });
  }
  return out;
}

interface CollectedRetention extends RetentionEvent { readonly removed: Hash[] }

async function readRetention(c: pg.ClientBase, trusted: readonly Verifier[], report: (d: Divergence) => void): Promise<CollectedRetention[]> {
  const r = await c.query<{ id: string; note: string }>('SELECT id, note FROM auditql.ledger_retention ORDER BY id');
  const out: CollectedRetention[] = [];
  for (const x of r.rows) {
    const v = openRetention(x.note, trusted);
    if (!v.ok) {
      report({ kind: DivergenceKind.RETENTION_INVALID, seq: null, table: null, treeSize: null, detail: `retention event ${x.id}: ${v.detail}` });
      continue;
    }
    out.push({ ...v.event, removed: [] });
  }
  return out;
}

function checkRetention(e: CollectedRetention, report: (d: Divergence) => void): void {
  const t = new CompactRange();
  for (const h of e.removed) t.append(h);
  if (t.size === e.count && t.root().equals(e.root)) return;
  report({ kind: DivergenceKind.RETENTION_INVALID, seq: e.seqMin, table: leafTableByKind(e.kind).table, treeSize: null,
    detail: `the retention event for ${e.partition} removed ${e.count} leaves, but ${t.size} of its leaves are missing` +
      (t.size === e.count ? ' with a different root' : '') });
}
