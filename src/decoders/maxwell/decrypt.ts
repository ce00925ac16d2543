/**
 * Maxwell `encrypt=data|all` (docs/formats/maxwell.md "Encryption"; Maxwell's docs/docs/encryption.md): AES/CBC/PKCS5Padding, a random
 * 16-byte IV per message (`row/EncryptionContext.java`), ciphertext and IV base64 in
 * `"encrypted":{"iv","bytes"}`. The AES key is the UTF-8 bytes of Maxwell's `secret_key` option, as is:
 * `RowEncrypt.loadKey` is `new SecretKeySpec(secretKey.getBytes("UTF-8"), "AES")` — no hashing or
 * derivation — so it must be 16, 24 or 32 bytes (AES-128/192/256). Messages never hold key or plaintext.
 */
import { createDecipheriv } from 'node:crypto';
import { DecodeError, ErrorCode } from '../../errors.js';
import { isPlainObject } from '../../model/json.js';
import type { MaxwellEncrypted } from './payload.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const AES_BLOCK = 16;
const CIPHERS: Readonly<Record<number, string>> = { 16: 'aes-128-cbc', 24: 'aes-192-cbc', 32: 'aes-256-cbc' };

/** Why a configured key cannot be a Maxwell key, or null when it can (for config validation too). */
export function maxwellKeyProblem(key: string): string | null {
  const length = Buffer.byteLength(key, 'utf8');
  return CIPHERS[length]
    ? null
    : `the Maxwell key is ${length} bytes; Maxwell uses the UTF-8 bytes of secret_key as the AES key, which must be 16, 24 or 32 bytes`;
}

/** The `encrypted` block, checked for shape (not for content). */
export function readEncrypted(value: unknown): MaxwellEncrypted {
  if (!isPlainObject(value) || typeof value['iv'] !== 'string' || typeof value['bytes'] !== 'string') {
    throw new DecodeError(ErrorCode.UNDECODABLE_RECORD, 'Maxwell record: `encrypted` must be an object with string `iv` and `bytes`');
  }
  return { iv: value['iv'], bytes: value['bytes'] };
}

function base64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, `Maxwell record: encrypted ${what} is not base64`);
  }
  return Buffer.from(compact, 'base64');
}

/** Decrypt an `encrypted` block to its UTF-8 plaintext (JSON text). */
export function decryptMaxwell(encrypted: MaxwellEncrypted, key: string | undefined): string {
  if (key === undefined || key === '') {
    throw new DecodeError(
      ErrorCode.DECRYPTION_KEY_MISSING,
      'Maxwell record is encrypted (encrypt=data|all) and no Maxwell key is configured',
    );
  }
  const problem = maxwellKeyProblem(key);
  if (problem) throw new DecodeError(ErrorCode.DECRYPTION_FAILED, problem);
  const iv = base64(encrypted.iv, '`iv`');
  const bytes = base64(encrypted.bytes, '`bytes`');
  if (iv.length !== AES_BLOCK) {
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, `Maxwell record: the IV is ${iv.length} bytes, not ${AES_BLOCK}`);
  }
  if (bytes.length === 0 || bytes.length % AES_BLOCK !== 0) {
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, 'Maxwell record: the ciphertext is not a whole number of AES blocks');
  }
  const keyBytes = Buffer.from(key, 'utf8');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(CIPHERS[keyBytes.length]!, keyBytes, iv);
    plain = Buffer.concat([decipher.update(bytes), decipher.final()]);
  } catch {
    // The cause (OpenSSL "bad decrypt") says nothing useful and is not kept, so nothing can leak through it.
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, 'Maxwell record could not be decrypted: wrong key or corrupt ciphertext');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, 'Maxwell record decrypted to bytes that are not UTF-8: wrong key?');
  }
}
