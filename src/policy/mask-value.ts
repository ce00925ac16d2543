/**
 * What a masked value looks like (docs/security.md "Masked values"). A masked value says it is masked:
 * - `redact`  → `{"$masked": "redact"}`
 * - `hash`    → `{"$masked": "hash", "hmac": "<64 hex digits>"}`: HMAC-SHA256 under the key of
 *               `AUDITQL_MASK_KEY_FILE` over the value's JSON text, so equal values give equal markers and a
 *               changed value a different one, without revealing either;
 * - `partial` → `{"$masked": "partial", "value": "************1234"}`: a string of 8 or more characters
 *               keeps its last 4, everything else is starred; a non-string shows no value;
 * - `null`    → `null` (unmarked, for consumers that cannot take an object);
 * - `absent`  → the column is left out (the `ABSENT` sentinel below).
 * Null is masked like any value: that a masked column is null is itself not shown. Pure.
 */
import { createHmac } from 'node:crypto';
import type { Json } from '../model/json.js';
import type { MaskMethod } from './policy.js';

export const ABSENT: unique symbol = Symbol('absent');
export type Masked = Json | typeof ABSENT;

const REDACTED: Json = Object.freeze({ $masked: 'redact' });

function partial(value: Json): Json {
  if (typeof value !== 'string') return Object.freeze({ $masked: 'partial' });
  const chars = [...value];
  const keep = chars.length >= 8 ? 4 : 0;
  return Object.freeze({ $masked: 'partial', value: '*'.repeat(chars.length - keep) + chars.slice(chars.length - keep).join('') });
}

export function maskValue(method: MaskMethod, value: Json, key: Buffer | null): Masked {
  switch (method) {
    case 'redact':
      return REDACTED;
    case 'hash':
      // The policy loader refuses `hash` without a key; redact rather than fail open if one slips through.
      if (!key) return REDACTED;
      return Object.freeze({ $masked: 'hash', hmac: createHmac('sha256', key).update(JSON.stringify(value)).digest('hex') });
    case 'partial':
      return partial(value);
    case 'null':
      return null;
    case 'absent':
      return ABSENT;
  }
}
