/**
 * A record value's bytes → the plain Maxwell message: JSON parsed keeping every digit (DECIMAL, BIGINT
 * UNSIGNED), `encrypt=all` and `encrypt=data` undone, camel-cased top-level names put back. Error messages
 * name what is wrong, never the values (JSON.parse's own message quotes the input, so it is not kept).
 */
import { DecodeError, ErrorCode } from '../../errors.js';
import { isPlainObject } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { decryptMaxwell, readEncrypted } from './decrypt.js';
import { CAMEL_CASE_FIELDS } from './payload.js';

export type Encryption = 'data' | 'all';

export interface MaxwellMessage {
  /** Top-level fields, as Maxwell named them without a naming strategy. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** How the record arrived, when it was encrypted. */
  readonly encryption: Encryption | null;
}

function parse(text: string, what: string, code: ErrorCode): unknown {
  try {
    return parseJsonLossless(text);
  } catch {
    throw new DecodeError(code, `${what} is not valid JSON`);
  }
}

function normalizeNames(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [camel, snake] of Object.entries(CAMEL_CASE_FIELDS)) {
    if (Object.prototype.hasOwnProperty.call(obj, camel) && !Object.prototype.hasOwnProperty.call(obj, snake)) {
      out ??= { ...obj };
      out[snake] = out[camel];
      delete out[camel];
    }
  }
  return out ?? obj;
}

/** `{"encrypted":{...}}` and nothing else describing a row: the `encrypt=all` form. */
export function isEncryptedWhole(value: Record<string, unknown>): boolean {
  return isPlainObject(value['encrypted']) && value['type'] === undefined && value['data'] === undefined;
}

/** Parse a record value. Returns null for a JSON `null` (a tombstone written out as text). */
export function readMessage(value: Buffer, key: string | undefined): MaxwellMessage | null {
  let parsed = parse(value.toString('utf8'), 'Maxwell record', ErrorCode.UNDECODABLE_RECORD);
  if (parsed === null) return null;
  if (!isPlainObject(parsed)) throw new DecodeError(ErrorCode.UNDECODABLE_RECORD, 'Maxwell record is not a JSON object');
  let encryption: Encryption | null = null;

  if (isEncryptedWhole(parsed)) {
    const plain = decryptMaxwell(readEncrypted(parsed['encrypted']), key);
    parsed = parse(plain, 'decrypted Maxwell record (wrong key?)', ErrorCode.DECRYPTION_FAILED);
    if (!isPlainObject(parsed) || isEncryptedWhole(parsed)) {
      throw new DecodeError(ErrorCode.DECRYPTION_FAILED, 'decrypted Maxwell record is not a plain Maxwell message');
    }
    encryption = 'all';
  }

  let fields = normalizeNames(parsed);
  if (fields['encrypted'] !== undefined) {
    const plain = decryptMaxwell(readEncrypted(fields['encrypted']), key);
    const inner = parse(plain, 'decrypted Maxwell `data` (wrong key?)', ErrorCode.DECRYPTION_FAILED);
    if (!isPlainObject(inner) || !isPlainObject(inner['data'])) {
      throw new DecodeError(ErrorCode.DECRYPTION_FAILED, 'decrypted Maxwell `encrypted` block holds no `data` object');
    }
    const { encrypted: _e, ...rest } = fields;
    fields = { ...rest, data: inner['data'], ...(inner['old'] !== undefined ? { old: inner['old'] } : {}) };
    encryption = 'data';
  }
  return { fields, encryption };
}
