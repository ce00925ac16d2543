/**
 * What a third party runs with a saved checkpoint, the log's public key and a proof (docs/ledger.md
 * "Checking a proof"; `auditql verify-proof`). Proofs travel as JSON, base64 hashes:
 *   inclusion   {"leafIndex", "treeSize", "leafHash", "auditPath": [...], "checkpoint": {"note": "<signed note>"}}
 *   consistency {"fromSize", "toSize", "proof": [...], "fromCheckpoint": {"note"}, "toCheckpoint": {"note"}}
 * — what the GraphQL fields return; a checkpoint may also be the note string itself.
 */
import { openCheckpoint, type CheckpointBody } from './checkpoint.js';
import { rootFromInclusion, verifyConsistency } from './merkle.js';
import type { Verifier } from './signed-note.js';

export type ProofCheck = { readonly ok: true; readonly summary: string } | { readonly ok: false; readonly reason: string };

const b64 = (s: unknown): Buffer => {
  if (typeof s !== 'string') throw new Error('a hash is a base64 string');
  const b = Buffer.from(s, 'base64');
  if (b.length !== 32) throw new Error('a hash has 32 bytes');
  return b;
};
const size = (n: unknown, what: string): number => {
  if (!Number.isSafeInteger(n) || (n as number) < 0) throw new Error(`${what} is a whole number`);
  return n as number;
};

/** A note, or a GraphQL `LedgerCheckpoint` object carrying one in `note`. */
function checkpoint(value: unknown, trusted: readonly Verifier[], what: string): CheckpointBody {
  const note = value && typeof value === 'object' ? (value as { note?: unknown }).note : value;
  if (typeof note !== 'string') throw new Error(`${what} is a signed checkpoint note`);
  const c = openCheckpoint(note, trusted);
  if (!c.ok) throw new Error(`${what}: ${c.detail}`);
  return c.checkpoint;
}

/** `saved`: a checkpoint the checker kept; a consistency proof must start (or an inclusion proof end) at it. */
export function checkProof(proof: Record<string, unknown>, trusted: readonly Verifier[], saved?: string): ProofCheck {
  try {
    const kept = saved === undefined ? null : checkpoint(saved, trusted, 'the saved checkpoint');
    if ('leafIndex' in proof) {
      const cp = checkpoint(proof.checkpoint, trusted, 'the proof’s checkpoint');
      const index = size(proof.leafIndex, 'leafIndex');
      const n = size(proof.treeSize, 'treeSize');
      if (n !== cp.size) return { ok: false, reason: `the proof is for size ${n} but its checkpoint has size ${cp.size}` };
      if (kept && (kept.size !== cp.size || !kept.root.equals(cp.root))) return { ok: false, reason: 'the proof’s checkpoint is not the saved checkpoint' };
      const path = (proof.auditPath as unknown[] ?? []).map(b64);
      const root = rootFromInclusion(index, n, b64(proof.leafHash), path);
      if (!root?.equals(cp.root)) return { ok: false, reason: `leaf ${index} is not in the tree of size ${n}: the audit path does not lead to the signed root` };
      return { ok: true, summary: `leaf ${index} is in the tree of size ${n} signed by ${cp.origin}` };
    }
    const from = size(proof.fromSize, 'fromSize');
    const to = size(proof.toSize, 'toSize');
    const a = kept ?? checkpoint(proof.fromCheckpoint, trusted, 'fromCheckpoint');
    const b = checkpoint(proof.toCheckpoint, trusted, 'toCheckpoint');
    if (a.size !== from || b.size !== to) return { ok: false, reason: `the checkpoints have sizes ${a.size} and ${b.size}, the proof ${from} and ${to}` };
    if (!verifyConsistency(from, to, a.root, b.root, ((proof.proof as unknown[]) ?? []).map(b64))) {
      return { ok: false, reason: `the tree of size ${to} does not extend the tree of size ${from}: history was rewritten` };
    }
    return { ok: true, summary: `the tree of size ${to} extends the tree of size ${from} (both signed by ${b.origin})` };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
