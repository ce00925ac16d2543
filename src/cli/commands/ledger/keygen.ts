/** `auditql keygen FILE [--name NAME]`: an Ed25519 signing key to FILE (mode 0600), its public key to FILE.pub. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditqlError, ErrorCode } from '../../../errors.js';
import type { Logger } from '../../../log.js';
import { encodeSignerKey, encodeVerifierKey, generateSigner } from '../../../warehouse/ledger/signed-note.js';

export function keygenCommand(argv: readonly string[], log: Logger): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { name: { type: 'string' } } });
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `keygen: ${(err as Error).message}`);
  }
  const [file, ...more] = parsed.positionals;
  if (!file || more.length) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'keygen: name one FILE');
  let signer;
  try {
    signer = generateSigner(parsed.values.name ?? 'auditql.local/ledger');
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `keygen: --name: ${(err as Error).message}`);
  }
  try {
    writeFileSync(file, encodeSignerKey(signer) + '\n', { mode: 0o600, flag: 'wx' });
    writeFileSync(`${file}.pub`, encodeVerifierKey(signer) + '\n', { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `keygen: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? `${file} or ${file}.pub exists; not overwritten` : (err as Error).message}`);
  }
  log.info(`signing key ${signer.name}+${signer.keyId.toString('hex')} written to ${file} (keep it outside the warehouse; set AUDITQL_SIGNING_KEY=${file}), public key to ${file}.pub`);
  return 0;
}
