/**
 * The `X-Amz-Firehose-Access-Key` check. Both sides are hashed to SHA-256 first, so `timingSafeEqual` always
 * compares 32 bytes against 32 bytes: the time taken says nothing about the key's length or its first
 * differing byte. Only the expected key's digest is kept.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Firehose sends the key verbatim, at most 4096 bytes. */
export const MAX_ACCESS_KEY_BYTES = 4096;

const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

export interface AccessKeyCheck {
  /** Does this header value (as Node gives it) carry the configured key? */
  matches(headerValue: string | string[] | undefined): boolean;
}

export function accessKeyCheck(configuredKey: string): AccessKeyCheck {
  if (configuredKey === '') throw new Error('an empty Firehose access key would accept anyone');
  const expected = sha256(Buffer.from(configuredKey, 'utf8'));
  return {
    matches(headerValue) {
      // Node decodes header bytes as latin1; going back to latin1 gives the bytes Firehose sent, so a key
      // outside ASCII compares as the UTF-8 the configuration holds. A missing or repeated header hashes an
      // empty value, so every request costs the same and none matches.
      const given = typeof headerValue === 'string' ? Buffer.from(headerValue, 'latin1') : Buffer.alloc(0);
      const equal = timingSafeEqual(sha256(given), expected);
      return equal && given.length > 0 && given.length <= MAX_ACCESS_KEY_BYTES;
    },
  };
}
