/**
 * A column's text (as PostgreSQL's output function printed it) → plain JSON, by type OID (type-oids.ts):
 * - bool `t`/`f` → true/false; int2/int4/oid/xid → number;
 * - int8/xid8 → number when |n| ≤ 2^53−1, else the decimal string (every digit kept);
 * - numeric → always the decimal string (as the Debezium decoder stores decimals); `NaN`/`Infinity` too;
 * - float4/float8 → number; `NaN`, `Infinity`, `-Infinity` stay text (JSON has no such numbers);
 * - json/jsonb → the parsed document (numbers a double cannot hold become decimal strings); a document
 *   that is JSON `null` becomes null, like SQL NULL;
 * - bytea → base64 of the bytes (hex `\x…` output, and the legacy escape output, are both read);
 * - timestamptz / timestamp / date → ISO-8601 (temporal.ts);
 * - arrays of the types above → JSON arrays of decoded elements (array-literal.ts);
 * - everything else (text, varchar, uuid, time, interval, inet, enums, domains …) → the text as printed.
 * Decoding never fails: text that does not have its type's shape is kept as text.
 */
import type { Json } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { parseArrayLiteral, type ArrayText } from './array-literal.js';
import { decodeDate, decodeTimestamp, decodeTimestamptz } from './temporal.js';
import { ARRAY_ELEMENTS, SCALAR_SHAPES } from './type-oids.js';

const INTEGER = /^-?\d+$/;

function bytesOf(text: string): Buffer | null {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2);
    return /^(?:[0-9a-fA-F]{2})*$/.test(hex) ? Buffer.from(hex, 'hex') : null;
  }
  // escape format: printable bytes as is, `\\` for a backslash, `\ooo` octal for the rest
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return null;
    if (text[i] !== '\\') out.push(c);
    else if (text[i + 1] === '\\') {
      out.push(0x5c);
      i++;
    } else if (/^[0-3][0-7]{2}$/.test(text.slice(i + 1, i + 4))) {
      out.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else return null;
  }
  return Buffer.from(out);
}

export function decodeScalar(typeOid: number, text: string): Json {
  switch (SCALAR_SHAPES.get(typeOid)) {
    case 'bool':
      return text === 't' ? true : text === 'f' ? false : text;
    case 'int':
      return INTEGER.test(text) ? Number(text) : text;
    case 'int8': {
      if (!INTEGER.test(text)) return text;
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'float': {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'numeric':
      return text;
    case 'json':
      try {
        return parseJsonLossless(text) as Json;
      } catch {
        return text;
      }
    case 'bytea': {
      const bytes = bytesOf(text);
      return bytes ? bytes.toString('base64') : text;
    }
    case 'timestamptz':
      return decodeTimestamptz(text);
    case 'timestamp':
      return decodeTimestamp(text);
    case 'date':
      return decodeDate(text);
    default:
      return text;
  }
}

function decodeElements(elementOid: number, items: ArrayText): Json[] {
  return items.map((item) => (item === null ? null : Array.isArray(item) ? decodeElements(elementOid, item) : decodeScalar(elementOid, item)));
}

/** One column value; null stays null. */
export function decodeValue(typeOid: number, text: string | null): Json {
  if (text === null) return null;
  const element = ARRAY_ELEMENTS.get(typeOid);
  if (element === undefined) return decodeScalar(typeOid, text);
  const items = parseArrayLiteral(text);
  return items === null ? text : decodeElements(element, items);
}
