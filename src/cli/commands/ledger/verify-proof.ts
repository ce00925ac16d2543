/**
 * `auditql verify-proof [--public-key FILE.pub]... [--checkpoint FILE] PROOF.json`: check an inclusion or
 * consistency proof (Change.proof, Activity.proof, Query.consistencyProof) with nothing but the log's
 * public key and, optionally, a checkpoint saved earlier. No warehouse needed. Exit 0 when it holds.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditqlError, ErrorCode } from '../../../errors.js';
import { checkProof } from '../../../warehouse/ledger/proof-check.js';
import { trustedKeys } from './trusted-keys.js';

const read = (f: string, what: string): string => {
  try { return readFileSync(f === '-' ? 0 : f, 'utf8'); } catch { throw new AuditqlError(ErrorCode.BAD_CONFIG, `verify-proof: cannot read ${what} ${f}`); }
};

export function verifyProofCommand(argv: readonly string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { 'public-key': { type: 'string', multiple: true }, checkpoint: { type: 'string' } } });
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `verify-proof: ${(err as Error).message}`);
  }
  const [file, ...more] = parsed.positionals;
  if (!file || more.length) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'verify-proof: name one PROOF.json (or - for stdin)');
  const trusted = trustedKeys(parsed.values['public-key'], 'verify-proof');
  let proof: unknown;
  try { proof = JSON.parse(read(file, 'the proof')); } catch (err) {
    if (err instanceof AuditqlError) throw err;
    throw new AuditqlError(ErrorCode.BAD_INPUT, `verify-proof: ${file} is not JSON`);
  }
  // a GraphQL response ({"data": {"change": {"proof": …}}}) is accepted as it is
  const found = findProof(proof);
  if (!found) throw new AuditqlError(ErrorCode.BAD_INPUT, `verify-proof: ${file} holds no inclusion or consistency proof`);
  const saved = parsed.values.checkpoint === undefined ? undefined : read(parsed.values.checkpoint, 'the checkpoint');
  const r = checkProof(found, trusted, saved);
  process.stdout.write(r.ok ? `ok: ${r.summary}\n` : `FAILED: ${r.reason}\n`);
  return r.ok ? 0 : 1;
}

function findProof(v: unknown): Record<string, unknown> | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if ('leafIndex' in o || 'fromSize' in o) return o;
  for (const x of Object.values(o)) {
    const f = findProof(x);
    if (f) return f;
  }
  return null;
}
