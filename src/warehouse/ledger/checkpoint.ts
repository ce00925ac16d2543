/**
 * Checkpoints in the C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint): a signed note whose text is
 *   <origin>
 *   <tree size>
 *   <base64 root hash>
 *   time <RFC 3339 UTC time it was sealed>      (one extension line)
 * signed with the log's Ed25519 key, whose name is the origin (signed-note.ts).
 */
import { signNote, verifyNote, type Signer, type Verifier } from './signed-note.js';

export interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
  readonly time: Date;
}

export const checkpointText = (c: CheckpointBody): string =>
  `${c.origin}\n${c.size}\n${c.root.toString('base64')}\ntime ${c.time.toISOString()}\n`;

export const signCheckpoint = (c: CheckpointBody, s: Signer): string => signNote(checkpointText(c), s);

export function parseCheckpointText(text: string): CheckpointBody {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new Error('a checkpoint has at least three lines');
  const [origin, size, root] = lines as [string, string, string];
  if (!origin) throw new Error('a checkpoint names its origin on the first line');
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw new Error('the second line of a checkpoint is its tree size');
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== 32 || hash.toString('base64') !== root) throw new Error('the third line of a checkpoint is a base64 SHA-256 root hash');
  const t = lines.slice(3, -1).find((l) => l.startsWith('time '));
  const time = t ? new Date(t.slice(5)) : new Date(Number.NaN);
  return { origin, size: Number(size), root: hash, time };
}

export type CheckpointCheck =
  | { readonly ok: true; readonly checkpoint: CheckpointBody; readonly by: Verifier }
  | { readonly ok: false; readonly reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE'; readonly detail: string };

/** A checkpoint note verified against trusted keys, then parsed. */
export function openCheckpoint(note: string, trusted: readonly Verifier[]): CheckpointCheck {
  const v = verifyNote(note, trusted);
  if (!v.ok) return v;
  try {
    return { ok: true, checkpoint: parseCheckpointText(v.text), by: v.by };
  } catch (err) {
    return { ok: false, reason: 'MALFORMED', detail: (err as Error).message };
  }
}
