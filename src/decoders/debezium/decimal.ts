/**
 * Decimals (docs/formats/debezium.md "Value encodings", `decimal.handling.mode=precise`, the default). auditql's convention: a decimal
 * is a **string holding every digit**, with exactly `scale` fraction digits (`"578.01"`, `"-0.05"`, `"7"`),
 * so no value is ever rounded through a double.
 * - `org.apache.kafka.connect.data.Decimal`: bytes = the unscaled value as a big-endian two's-complement
 *   integer (base64 in JSON), scale in the schema parameter `scale` (`"AOHJ"` = 57801 → `"578.01"` at 2).
 *   JsonConverter with `decimal.format=NUMERIC` writes a JSON number instead; that is accepted too.
 * - `io.debezium.data.VariableScaleDecimal` (PG NUMERIC without scale): struct `{scale, value}` where value is
 *   the same bytes (`{"scale":2,"value":"OSw="}` → `"146.36"`).
 */
import { undecodable } from '../../errors.js';
import { isPlainObject } from '../../model/json.js';
import { bigIntOf } from './scalars.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** Big-endian two's-complement bytes → integer. Empty → 0. */
export function unscaledFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return bytes[0]! & 0x80 ? n - (1n << BigInt(bytes.length * 8)) : n;
}

/** Base64 text of the unscaled bytes → integer; null when the text is not base64. */
export function unscaledFromBase64(text: string): bigint | null {
  if (!BASE64.test(text)) return null;
  return unscaledFromBytes(Buffer.from(text, 'base64'));
}

/** unscaled × 10^-scale as a decimal string with exactly `scale` fraction digits (negative scale: zeros appended). */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  let text: string;
  if (scale <= 0) text = digits === '0' ? '0' : digits + '0'.repeat(-scale);
  else {
    digits = digits.padStart(scale + 1, '0');
    text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${text}` : text;
}

/** A decimal that arrived as a JSON number (decimal.format=NUMERIC) → string padded to `scale` digits. */
function fromNumberText(text: string, scale: number): string | null {
  if (!PLAIN_DECIMAL.test(text)) return null;
  const [intPart, frac = ''] = text.split('.');
  if (scale <= 0 || frac.length >= scale) return text;
  return `${intPart}.${frac.padEnd(scale, '0')}`;
}

function scaleOf(value: unknown, column: string): number {
  const s = bigIntOf(value ?? 0);
  if (s === null || s > 1000n || s < -1000n) throw undecodable(`Debezium decimal in column ${JSON.stringify(column)} has no valid scale`);
  return Number(s);
}

/** A `Decimal` value (base64 bytes, or a JSON number) with the schema's `scale` parameter → decimal string. */
export function decodeDecimal(value: unknown, scaleParam: unknown, column: string): string {
  const scale = scaleOf(scaleParam, column);
  if (typeof value === 'number') {
    const text = Number.isFinite(value) ? fromNumberText(String(value), scale) : null;
    if (text !== null) return text;
  } else if (typeof value === 'string') {
    const unscaled = unscaledFromBase64(value);
    if (unscaled !== null) return formatDecimal(unscaled, scale);
    // A number past double precision that the lossless parser kept as text (decimal.format=NUMERIC).
    const text = fromNumberText(value, scale);
    if (text !== null) return text;
  }
  throw undecodable(`Debezium Decimal in column ${JSON.stringify(column)} is neither base64 bytes nor a number`);
}

/** A `VariableScaleDecimal` struct `{scale, value}` → decimal string. */
export function decodeVariableScaleDecimal(value: unknown, column: string): string {
  if (!isPlainObject(value) || typeof value['value'] !== 'string') {
    throw undecodable(`Debezium VariableScaleDecimal in column ${JSON.stringify(column)} is not {scale, value}`);
  }
  const unscaled = unscaledFromBase64(value['value']);
  if (unscaled === null) throw undecodable(`Debezium VariableScaleDecimal in column ${JSON.stringify(column)} is not base64`);
  return formatDecimal(unscaled, scaleOf(value['scale'], column));
}
