/**
 * Known answers for the ledger's RFC 9162 hashing, and its proofs held against the RFC's verification
 * algorithms for every leaf and size up to 70.
 */
import { describe, expect, it } from 'vitest';
import {
  CompactRange, consistencyPath, emptyRoot, inclusionPath, leafHash, nodeHash, rootFromInclusion, verifyConsistency, type Hash,
} from '../../src/warehouse/ledger/merkle.js';

// The leaf inputs and roots of the RFC 6962 / Certificate Transparency reference test vectors
// (certificate-transparency-go merkle tests), which RFC 9162 hashing keeps.
const INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** MTH straight from the RFC's recursive definition. */
function mth(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

describe('ledger Merkle hashing (RFC 9162)', () => {
  it('has the known empty-tree hash and the reference roots', () => {
    expect(emptyRoot().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new CompactRange().root().toString('hex')).toBe(emptyRoot().toString('hex'));
    const r = new CompactRange();
    INPUTS.forEach((input, i) => {
      r.append(leafHash(input));
      expect(r.root().toString('hex'), `size ${i + 1}`).toBe(ROOTS[i]);
    });
  });

  it('builds the same roots incrementally as the recursive definition, and resumes from a stored compact range', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    const r = new CompactRange();
    const completed: { level: number; index: number; hash: string }[] = [];
    for (let n = 0; n < leaves.length; n++) {
      r.append(leaves[n]!, (x) => completed.push({ ...x, hash: x.hash.toString('hex') }));
      if (n % 37 === 0 || n === 299) expect(r.root().equals(mth(leaves.slice(0, n + 1)))).toBe(true);
      if (n === 150) {
        const resumed = new CompactRange(r.size, r.roots);
        expect(resumed.root().equals(r.root())).toBe(true);
      }
    }
    const node = completed.find((c) => c.level === 8 && c.index === 0)!;
    expect(node.hash).toBe(mth(leaves.slice(0, 256)).toString('hex'));
    expect(() => new CompactRange(5, [leaves[0]!])).toThrow();
  });

  it('serves inclusion and consistency proofs that the RFC verification algorithms accept, and rejects altered ones', async () => {
    const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from([i])));
    const range = async (lo: number, hi: number) => mth(leaves.slice(lo, hi));
    for (let n = 1; n <= 70; n++) {
      const root = mth(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const path = await inclusionPath(m, n, range);
        expect(rootFromInclusion(m, n, leaves[m]!, path)?.equals(root), `leaf ${m} of ${n}`).toBe(true);
        if (path.length) {
          const bad = [...path];
          bad[0] = leafHash(Buffer.from('x'));
          expect(rootFromInclusion(m, n, leaves[m]!, bad)?.equals(root) ?? false).toBe(false);
        }
      }
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyPath(m, n, range);
        expect(verifyConsistency(m, n, mth(leaves.slice(0, m)), root, proof), `${m} → ${n}`).toBe(true);
        if (m < n) expect(verifyConsistency(m, n, leafHash(Buffer.from('other')), root, proof)).toBe(false);
      }
    }
  });
});

describe('signed-note keys', () => {
  it('round-trips keys whose base64 holds a "+" and signs notes a verifier with the public key accepts', async () => {
    const { generateSigner, encodeSignerKey, encodeVerifierKey, parseSignerKey, parseVerifierKey, signNote, verifyNote } = await import('../../src/warehouse/ledger/signed-note.js');
    let seenPlus = false;
    for (let i = 0; i < 40; i++) {
      const s = generateSigner('example.com/log');
      const sk = encodeSignerKey(s);
      const vk = encodeVerifierKey(s);
      seenPlus ||= vk.split('+').length > 3;
      expect(parseSignerKey(sk).publicKey.equals(s.publicKey)).toBe(true);
      const v = parseVerifierKey(vk);
      const note = signNote('example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n', s);
      expect(verifyNote(note, [v]).ok).toBe(true);
      expect(verifyNote(note, [generateSigner('example.com/log')])).toMatchObject({ ok: false, reason: 'UNKNOWN_KEY' });
    }
    expect(seenPlus).toBe(true);
  });
});
