/**
 * Inclusion and consistency proofs (RFC 9162 2.1.3, 2.1.4) against the signed checkpoints, from the logged
 * leaves and the stored perfect subtrees (auditql.ledger_nodes): a proof costs O(log n) reads of at most
 * 2^NODE_LEVEL leaves each, whatever the size of the log.
 */
import type pg from 'pg';
import { ACCESS_LEAF_TABLE } from './canonical.js';
import { NODE_LEVEL } from './append.js';
import { consistencyPath, inclusionPath, nodeHash, splitPoint, type Hash, type RangeHash } from './merkle.js';

const STRIDE = 2 ** NODE_LEVEL;

/** MTH of any leaf range, from stored subtrees where they cover it and logged leaves elsewhere. */
export function storedRange(db: pg.Pool | pg.ClientBase): RangeHash {
  const range: RangeHash = async (lo, hi) => {
    const n = hi - lo;
    const level = Math.log2(n);
    if (n >= STRIDE && Number.isInteger(level) && lo % n === 0) {
      const r = await db.query<{ hash: Buffer }>('SELECT hash FROM auditql.ledger_nodes WHERE level = $1 AND idx = $2', [level, lo / n]);
      if (r.rows[0]) return r.rows[0].hash;
    }
    if (n <= STRIDE) {
      const r = await db.query<{ leaf_hash: Buffer }>(
        'SELECT leaf_hash FROM auditql.ledger_leaves WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index', [lo, hi]);
      if (r.rows.length !== n) throw new Error(`the log has no leaves ${lo}..${hi - 1}`);
      return mth(r.rows.map((x) => x.leaf_hash));
    }
    const k = splitPoint(n);
    return nodeHash(await range(lo, lo + k), await range(lo + k, hi));
  };
  return range;
}

function mth(leaves: readonly Hash[]): Hash {
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly sealedAt: Date;
  readonly note: string;
}

interface CheckpointRow { tree_size: string; root_hash: Buffer; sealed_at: Date; note: string }
const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({ treeSize: Number(r.tree_size), rootHash: r.root_hash, sealedAt: r.sealed_at, note: r.note });

export async function latestCheckpoint(db: pg.Pool): Promise<StoredCheckpoint | null> {
  const r = await db.query<CheckpointRow>('SELECT tree_size, root_hash, sealed_at, note FROM auditql.ledger_checkpoints ORDER BY tree_size DESC LIMIT 1');
  return r.rows[0] ? toCheckpoint(r.rows[0]) : null;
}

export async function checkpointOfSize(db: pg.Pool, size: number): Promise<StoredCheckpoint | null> {
  const r = await db.query<CheckpointRow>('SELECT tree_size, root_hash, sealed_at, note FROM auditql.ledger_checkpoints WHERE tree_size = $1', [size]);
  return r.rows[0] ? toCheckpoint(r.rows[0]) : null;
}

export async function checkpointsSince(db: pg.Pool, afterSize: number): Promise<StoredCheckpoint[]> {
  const r = await db.query<CheckpointRow>(
    'SELECT tree_size, root_hash, sealed_at, note FROM auditql.ledger_checkpoints WHERE tree_size > $1 ORDER BY tree_size', [afterSize]);
  return r.rows.map(toCheckpoint);
}

export interface InclusionProof {
  readonly seq: string;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: Buffer;
  readonly auditPath: readonly Buffer[];
  readonly checkpoint: StoredCheckpoint;
}

/**
 * The proof that the row with feed seq `seq` (or, with `space` 'access', the API access record with that
 * seq) is in the latest checkpoint; null when it is not covered by one yet.
 */
export async function inclusionProof(db: pg.Pool, seq: string, space: 'feed' | 'access' = 'feed'): Promise<InclusionProof | null> {
  const leaf = await db.query<{ leaf_index: string; leaf_hash: Buffer }>(
    `SELECT leaf_index, leaf_hash FROM auditql.ledger_leaves WHERE seq = $1 AND (kind = ${ACCESS_LEAF_TABLE.kind}) = $2`, [seq, space === 'access']);
  const l = leaf.rows[0];
  const cp = await latestCheckpoint(db);
  if (!l || !cp || Number(l.leaf_index) >= cp.treeSize) return null;
  const index = Number(l.leaf_index);
  const auditPath = await inclusionPath(index, cp.treeSize, storedRange(db));
  return { seq, leafIndex: index, treeSize: cp.treeSize, leafHash: l.leaf_hash, auditPath, checkpoint: cp };
}

export interface ConsistencyProof {
  readonly fromSize: number;
  readonly toSize: number;
  readonly path: readonly Buffer[];
  /** The signed checkpoints of those sizes, where there are. */
  readonly from: StoredCheckpoint | null;
  readonly to: StoredCheckpoint | null;
}

export async function consistencyProof(db: pg.Pool, fromSize: number, toSize: number): Promise<ConsistencyProof> {
  const state = await db.query<{ tree_size: string }>('SELECT tree_size FROM auditql.ledger_state');
  const size = Number(state.rows[0]?.tree_size ?? 0);
  if (!(Number.isSafeInteger(fromSize) && Number.isSafeInteger(toSize)) || fromSize < 1 || fromSize > toSize || toSize > size) {
    throw new RangeError(`no consistency proof from size ${fromSize} to size ${toSize} (the log has ${size} leaves)`);
  }
  const path = fromSize === toSize ? [] : await consistencyPath(fromSize, toSize, storedRange(db));
  return { fromSize, toSize, path, from: await checkpointOfSize(db, fromSize), to: await checkpointOfSize(db, toSize) };
}
