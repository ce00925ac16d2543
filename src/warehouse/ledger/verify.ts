/**
 * `auditql verify` (docs/ledger.md "Verification"): recompute every leaf from the rows, walk them beside
 * the leaves the sink logged in seq order, rebuild the tree, and hold it against every signed checkpoint
 * and retention event. Reports each divergence with the seq it is at; intact only when there is none.
 */
import type pg from 'pg';
import { leafHashSql, leafTableByKind } from './canonical.js';
import { openCheckpoint, type CheckpointBody } from './checkpoint.js';
import { loggedLeaves, rowLeaves, shareSnapshot, type LoggedLeaf, type RowLeaf } from './leaf-streams.js';
import { CompactRange, type Hash } from './merkle.js';
import { openRetention, type RetentionEvent } from './retention-event.js';
import type { Verifier } from './signed-note.js';

export const DivergenceKind = {
  /** A row's stored columns no longer hash to the leaf logged for its seq. */
  ROW_ALTERED: 'ROW_ALTERED',
  /** Two rows' seqs were exchanged: each row hashes to the leaf logged for the other's seq. */
  SEQ_SWAPPED: 'SEQ_SWAPPED',
  /** A logged leaf has no row, and no signed retention event removed it. */
  ROW_MISSING: 'ROW_MISSING',
  /** A row whose seq the log never had: written outside the sink. */
  ROW_ADDED: 'ROW_ADDED',
  /** Two rows carry the same seq. */
  SEQ_REUSED: 'SEQ_REUSED',
  /** The log of leaves itself was edited: the tree no longer has the signed root. */
  ROOT_MISMATCH: 'ROOT_MISMATCH',
  /** A checkpoint larger than the log: leaves were removed from its end. */
  LOG_TRUNCATED: 'LOG_TRUNCATED',
  /** A checkpoint whose signature does not verify with the trusted key it names. */
  CHECKPOINT_FORGED: 'CHECKPOINT_FORGED',
  /** A checkpoint signed only by a key not trusted here (re-signed with another key). */
  CHECKPOINT_UNTRUSTED: 'CHECKPOINT_UNTRUSTED',
  /** A retention event not signed by a trusted key, or not matching the leaves it names. */
  RETENTION_INVALID: 'RETENTION_INVALID',
} as const;
export type DivergenceKind = (typeof DivergenceKind)[keyof typeof DivergenceKind];

export interface Divergence {
  readonly kind: DivergenceKind;
  /** The seq where it is, when it is at one row. */
  readonly seq: string | null;
  readonly table: string | null;
  readonly treeSize: number | null;
  readonly detail: string;
}

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
  try {
    await shareSnapshot(a, b);
    const checkpoints = await readCheckpoints(a, o, report);
    const retention = await readRetention(a, o.trusted, report);
    const fromSeq = o.fromSeq ?? 0n;
    const tree = new CompactRange();
    const pending = [...checkpoints].sort((x, y) => x.size - y.size);
    const altered = new Map<string, Altered>();
    let rowsChecked = 0;
    const name = (kind: number) => { try { return leafTableByKind(kind).table; } catch { return `kind ${kind}`; } };

    const leaves = loggedLeaves(a)[Symbol.asyncIterator]();
    const groups = bySeq(rowLeaves(b, fromSeq))[Symbol.asyncIterator]();
    let leaf = (await leaves.next()).value as LoggedLeaf | undefined;
    let group = (await groups.next()).value as RowLeaf[] | undefined;
    let prevLeafSeq = -1n;
    const nextLeaf = async (h: Hash) => {
      tree.append(h);
      while (pending.length && pending[0]!.size === tree.size) checkRoot(pending.shift()!, tree, leaf!.seq, report);
      if (o.onProgress && tree.size % 65_536 === 0) o.onProgress(tree.size);
      prevLeafSeq = leaf!.seq;
      leaf = (await leaves.next()).value as LoggedLeaf | undefined;
    };
    const nextGroup = async () => { rowsChecked += group!.length; group = (await groups.next()).value as RowLeaf[] | undefined; };

    while (leaf || group) {
      if (leaf && leaf.seq <= prevLeafSeq) {
        report({ kind: DivergenceKind.ROOT_MISMATCH, seq: String(leaf.seq), table: name(leaf.kind), treeSize: leaf.index,
          detail: `the logged leaves are out of seq order at leaf ${leaf.index}` });
      }
      if (leaf && leaf.seq < fromSeq) {
        await nextLeaf(leaf.hash);
        continue;
      }
      const seq = group?.[0]!.seq;
      if (group && group.length > 1) {
        report({ kind: DivergenceKind.SEQ_REUSED, seq: String(seq), table: group.map((r) => name(r.kind)).join(', '), treeSize: null,
          detail: `seq ${seq} is carried by ${group.length} rows (${group.map((r) => name(r.kind)).join(', ')}); the sink gives each seq to one row` });
      }
      if (leaf && group && leaf.seq === seq) {
        const l = leaf;
        const row = group.find((r) => r.hash.equals(l.hash)) ?? group.find((r) => r.kind === l.kind) ?? group[0]!;
        if (!row.hash.equals(l.hash)) altered.set(String(l.seq), { seq: l.seq, kind: row.kind, logged: l.hash });
        await nextLeaf(l.hash);
        await nextGroup();
      } else if (leaf && (!group || leaf.seq < seq!)) {
        const l = leaf;
        const event = retention.find((e) => e.kind === l.kind && l.partAt !== null && l.partAt >= e.fromMicros && l.partAt < e.toMicros);
        if (event) event.removed.push(l.hash);
        else {
          report({ kind: DivergenceKind.ROW_MISSING, seq: String(l.seq), table: name(l.kind), treeSize: null,
            detail: `leaf ${l.index} (seq ${l.seq}, ${name(l.kind)}) has no row, and no signed retention event removed it` });
        }
        await nextLeaf(l.hash);
      } else if (group) {
        for (const r of group) {
          report({ kind: DivergenceKind.ROW_ADDED, seq: String(r.seq), table: name(r.kind), treeSize: null,
            detail: `a row of ${name(r.kind)} with seq ${r.seq} was never logged: it was written outside the sink` });
        }
        await nextGroup();
      }
    }
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
      rowsChecked,
      checkpointsVerified: checkpoints.length,
      latestCheckpoint: latest ? { size: latest.size, root: latest.root.toString('base64') } : null,
      unsealed: tree.size - (latest?.size ?? 0),
      retentionEvents: retention.length,
      divergenceCount: count,
      divergences: found,
    };
  } finally {
    await a.query('ROLLBACK').catch(() => {});
    await b.query('ROLLBACK').catch(() => {});
    a.release();
    b.release();
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

interface Altered { readonly seq: bigint; readonly kind: number; readonly logged: Hash }

/**
 * Altered rows, with exchanges of seqs told apart: a row that, given another altered seq, hashes to that
 * seq's logged leaf is that leaf's row moved (the canonical bytes include the seq, so a moved row always
 * differs from its new seq's leaf). Pairs are only tried among a few altered rows.
 */
async function reportAltered(c: pg.ClientBase, altered: Map<string, Altered>, report: (d: Divergence) => void): Promise<void> {
  const list = [...altered.values()];
  const movedFrom = new Map<bigint, bigint>();
  if (list.length <= 32) {
    for (const x of list) {
      const t = leafTableByKind(x.kind);
      for (const y of list) {
        if (y === x || y.kind !== x.kind) continue;
        const r = await c.query<{ h: Buffer }>(`SELECT ${leafHashSql(t, 'r', '$2::int8')} AS h FROM auditql.${t.table} r WHERE r.seq = $1`, [x.seq, y.seq]);
        if (r.rows.some((h) => h.h.equals(y.logged))) { movedFrom.set(x.seq, y.seq); break; }
      }
    }
  }
  for (const x of list) {
    const table = leafTableByKind(x.kind).table;
    const other = movedFrom.get(x.seq);
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
