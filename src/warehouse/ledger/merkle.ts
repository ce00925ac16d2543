/**
 * RFC 9162 Merkle tree hashing (section 2.1), pure: leaf = SHA-256(0x00 ‖ bytes), node = SHA-256(0x01 ‖
 * left ‖ right), the empty tree = SHA-256(""). The log grows by appending to a compact range (the roots of
 * the perfect subtrees that make up the tree, largest first), so a root costs O(log n) after an append of
 * k leaves costs O(k).
 */
import { createHash } from 'node:crypto';

export type Hash = Buffer;

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export const emptyRoot = (): Hash => createHash('sha256').digest();
export const leafHash = (bytes: Uint8Array): Hash => createHash('sha256').update(LEAF).update(bytes).digest();
export const nodeHash = (left: Hash, right: Hash): Hash => createHash('sha256').update(NODE).update(left).update(right).digest();

/** A perfect subtree completed by an append: `level` 0 is a leaf, its `index` counts subtrees of that size from the left. */
export interface CompletedNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Hash;
}

/** The compact range [0, size): the perfect subtree roots, left to right (sizes = the binary digits of `size`). */
export class CompactRange {
  private readonly stack: Hash[];

  constructor(public size = 0, roots: readonly Hash[] = []) {
    if (popcount(size) !== roots.length) throw new Error(`a compact range of size ${size} has ${popcount(size)} roots, not ${roots.length}`);
    this.stack = [...roots];
  }

  get roots(): readonly Hash[] {
    return this.stack;
  }

  /** Append one leaf hash; `onNode` sees every perfect subtree of level ≥ 1 it completes. */
  append(leaf: Hash, onNode?: (n: CompletedNode) => void): void {
    let h = leaf;
    let n = this.size;
    let level = 0;
    while (n & 1) {
      h = nodeHash(this.stack.pop()!, h);
      level++;
      n = Math.floor(n / 2);
      onNode?.({ level, index: Math.floor(this.size / 2 ** level), hash: h });
    }
    this.stack.push(h);
    this.size++;
  }

  root(): Hash {
    if (this.stack.length === 0) return emptyRoot();
    let h = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) h = nodeHash(this.stack[i]!, h);
    return h;
  }
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x & 1;
  return c;
}

/** The largest power of two smaller than n (n ≥ 2): RFC 9162's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of the leaves [lo, hi) given a way to get the hash of any range (stored nodes, or leaves). */
export type RangeHash = (lo: number, hi: number) => Promise<Hash>;

/** RFC 9162 2.1.3.1: the inclusion proof (audit path) of leaf m in the tree of size n, bottom first. */
export async function inclusionPath(m: number, n: number, range: RangeHash): Promise<Hash[]> {
  if (m < 0 || m >= n) throw new RangeError(`leaf ${m} is not in a tree of size ${n}`);
  const path: Hash[] = [];
  const walk = async (m: number, lo: number, hi: number): Promise<void> => {
    if (hi - lo === 1) return;
    const k = splitPoint(hi - lo);
    if (m < k) {
      await walk(m, lo, lo + k);
      path.push(await range(lo + k, hi));
    } else {
      await walk(m - k, lo + k, hi);
      path.push(await range(lo, lo + k));
    }
  };
  await walk(m, 0, n);
  return path;
}

/** RFC 9162 2.1.4.1: the consistency proof between tree sizes m and n (0 < m ≤ n). */
export async function consistencyPath(m: number, n: number, range: RangeHash): Promise<Hash[]> {
  if (m < 1 || m > n) throw new RangeError(`no consistency proof from size ${m} to size ${n}`);
  const proof: Hash[] = [];
  const sub = async (m: number, lo: number, hi: number, whole: boolean): Promise<void> => {
    const n = hi - lo;
    if (m === n) {
      if (!whole) proof.push(await range(lo, hi));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      await sub(m, lo, lo + k, whole);
      proof.push(await range(lo + k, hi));
    } else {
      await sub(m - k, lo + k, hi, false);
      proof.push(await range(lo, lo + k));
    }
  };
  await sub(m, 0, n, true);
  return proof;
}

/** RFC 9162 2.1.3.2: the root an inclusion proof leads to (compare it with a trusted root). */
export function rootFromInclusion(index: number, size: number, leaf: Hash, path: readonly Hash[]): Hash | null {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 2.1.4.2: true when the proof shows the tree (size2, root2) extends (size1, root1). */
export function verifyConsistency(size1: number, size2: number, root1: Hash, root2: Hash, proof: readonly Hash[]): boolean {
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));
