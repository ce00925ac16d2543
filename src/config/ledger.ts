/**
 * The ledger's configuration (docs/ledger.md "Configuration"), from the environment, parsed once,
 * validated, frozen; a bad value fails fast naming the variable. The private key never appears in errors.
 * - `AUDITQL_SIGNING_KEY`: the signed-note private key file `auditql keygen FILE` wrote; absent → leaves
 *   are still recorded, but no checkpoint is sealed.
 * - `AUDITQL_CHECKPOINT_ROWS` (default 10000), `AUDITQL_CHECKPOINT_SECONDS` (default 30): seal a checkpoint
 *   when this many rows are not yet covered, or this long after the first of them was written.
 * - `AUDITQL_LEDGER_ORIGIN`: the checkpoint's origin line (default: the key's name).
 * - `AUDITQL_CHECKPOINT_DIR`: also write every new checkpoint to `<dir>/<tree size>.checkpoint`.
 * - `AUDITQL_CHECKPOINT_URL`: also POST every new checkpoint to this http(s) URL, with
 *   `AUDITQL_CHECKPOINT_TOKEN_FILE` a file holding a bearer token for it (src/warehouse/ledger/checkpoint-post.ts).
 */
import { readFileSync } from 'node:fs';
import { AuditqlError, ErrorCode } from '../errors.js';
import { parseSignerKey, parseVerifierKey, type Signer, type Verifier } from '../warehouse/ledger/signed-note.js';

export interface LedgerConfig {
  readonly signer: Signer | null;
  readonly origin: string | null;
  readonly everyRows: number;
  readonly everyMs: number;
  readonly exportDir: string | null;
  readonly exportUrl: string | null;
  readonly exportTokenFile: string | null;
}

export const LEDGER_ENV = {
  SIGNING_KEY: 'AUDITQL_SIGNING_KEY',
  ROWS: 'AUDITQL_CHECKPOINT_ROWS',
  SECONDS: 'AUDITQL_CHECKPOINT_SECONDS',
  ORIGIN: 'AUDITQL_LEDGER_ORIGIN',
  DIR: 'AUDITQL_CHECKPOINT_DIR',
  URL: 'AUDITQL_CHECKPOINT_URL',
  TOKEN_FILE: 'AUDITQL_CHECKPOINT_TOKEN_FILE',
} as const;

function exportUrlOf(env: NodeJS.ProcessEnv): string | null {
  const raw = env[LEDGER_ENV.URL];
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `${LEDGER_ENV.URL}: not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AuditqlError(ErrorCode.BAD_CONFIG, `${LEDGER_ENV.URL}: expected an http:// or https:// URL`);
  if (u.username || u.password) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${LEDGER_ENV.URL}: credentials do not belong in the URL; put a bearer token in ${LEDGER_ENV.TOKEN_FILE}`);
  return u.toString();
}

function tokenFileOf(env: NodeJS.ProcessEnv, url: string | null): string | null {
  const file = env[LEDGER_ENV.TOKEN_FILE] || null;
  if (file === null) return null;
  if (url === null) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${LEDGER_ENV.TOKEN_FILE} is set without ${LEDGER_ENV.URL}`);
  if (readKeyFile(file, LEDGER_ENV.TOKEN_FILE).trim() === '') throw new AuditqlError(ErrorCode.BAD_CONFIG, `${LEDGER_ENV.TOKEN_FILE}: ${file} is empty`);
  return file;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1e9) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${name}=${JSON.stringify(raw)}: expected a whole number ≥ 1`);
  return n;
}

function readKeyFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function readSignerFile(path: string, what: string): Signer {
  const text = readKeyFile(path, what);
  try {
    return parseSignerKey(text);
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `${what}: ${path} is not an auditql keygen private key (${(err as Error).message})`);
  }
}

/** A public key file (FILE.pub); a private key file names its public key too. */
export function readVerifierFile(path: string, what: string): Verifier {
  const text = readKeyFile(path, what);
  try {
    return parseVerifierKey(text);
  } catch {
    try {
      return parseSignerKey(text);
    } catch (err) {
      throw new AuditqlError(ErrorCode.BAD_CONFIG, `${what}: ${path} is not a signed-note key (${(err as Error).message})`);
    }
  }
}

export function loadLedgerConfig(env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const keyFile = env[LEDGER_ENV.SIGNING_KEY] || null;
  const signer = keyFile ? readSignerFile(keyFile, LEDGER_ENV.SIGNING_KEY) : null;
  const origin = env[LEDGER_ENV.ORIGIN] || signer?.name || null;
  if (origin !== null && (origin.includes('\n') || origin.trim() === '')) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `${LEDGER_ENV.ORIGIN}: expected one non-empty line`);
  }
  const exportUrl = exportUrlOf(env);
  return Object.freeze({
    signer,
    origin,
    everyRows: positive(env, LEDGER_ENV.ROWS, 10_000),
    everyMs: positive(env, LEDGER_ENV.SECONDS, 30) * 1000,
    exportDir: env[LEDGER_ENV.DIR] || null,
    exportUrl,
    exportTokenFile: tokenFileOf(env, exportUrl),
  });
}

let processConfig: LedgerConfig | undefined;
/** This process's ledger configuration, read from the environment on first use and kept. */
export const ledgerConfig = (): LedgerConfig => (processConfig ??= loadLedgerConfig());

/** What retention signs its events with: this process's key and origin, or null without a key. */
export function retentionSigner(): { readonly signer: Signer; readonly origin: string } | null {
  const c = ledgerConfig();
  return c.signer ? { signer: c.signer, origin: c.origin ?? c.signer.name } : null;
}
