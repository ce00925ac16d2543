/** The keys a verifying command trusts: `--public-key FILE` (repeatable), else AUDITQL_SIGNING_KEY's public key. */
import { AuditqlError, ErrorCode } from '../../../errors.js';
import { ledgerConfig, readVerifierFile } from '../../../config/ledger.js';
import type { Verifier } from '../../../warehouse/ledger/signed-note.js';

export function trustedKeys(files: readonly string[] | undefined, command: string): Verifier[] {
  if (files?.length) return files.map((f) => readVerifierFile(f, `${command}: --public-key`));
  const signer = ledgerConfig().signer;
  if (signer) return [signer];
  throw new AuditqlError(ErrorCode.BAD_CONFIG, `${command}: name the log's public key with --public-key FILE.pub (or set AUDITQL_SIGNING_KEY)`);
}
