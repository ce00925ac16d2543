/**
 * Unchanged TOAST values (docs/formats/debezium.md "Replica identity and TOAST"). pgoutput leaves out an unchanged TOASTed column that is not part
 * of the replica identity; Debezium puts `unavailable.value.placeholder` (default `__debezium_unavailable_value`)
 * in its place, shaped for the column type (DBZ `UnchangedToastedPlaceholder.java`):
 * - text, JSON, hstore-as-JSON …: the string itself;
 * - bytea: the same UTF-8 bytes (base64 in JSON; hex with `binary.handling.mode=hex`);
 * - text arrays: `["__debezium_unavailable_value"]`; int/bigint arrays: the placeholder's byte values.
 * Newer releases also declare the exact placeholder per column in the schema parameter
 * `__debezium.unavailable.value.placeholder` (DBZ `UnavailableValuePlaceholderParameter.java`), which is how a
 * custom placeholder is recognized: without that parameter only the default one can be.
 * Such a column is not a value: the decoder drops it from the image and lists it as unknown.
 */
import { isPlainObject } from '../../model/json.js';
import type { ConnectSchema } from './envelope.js';

export const DEFAULT_PLACEHOLDER = '__debezium_unavailable_value';
const BYTES = Buffer.from(DEFAULT_PLACEHOLDER, 'utf8');
const FORMS = new Set([DEFAULT_PLACEHOLDER, BYTES.toString('base64'), BYTES.toString('hex'), BYTES.toString('hex').toUpperCase()]);
const BYTE_VALUES = [...BYTES];
export const PLACEHOLDER_PARAMETER = '__debezium.unavailable.value.placeholder';

function isDefaultPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return FORMS.has(value);
  if (!Array.isArray(value)) return false;
  if (value.length === 1) return value[0] === DEFAULT_PLACEHOLDER;
  return value.length === BYTE_VALUES.length && value.every((v, i) => v === BYTE_VALUES[i]);
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * The canonical text Debezium declares in the schema parameter, for the value as it appears in JSON
 * (bytes are already base64 there). null when the value has no such form.
 */
function canonical(schema: ConnectSchema | null | undefined, value: unknown, nested: boolean): string | null {
  if (!schema || value === null || value === undefined) return null;
  switch (schema.type) {
    case 'string':
    case 'bytes':
      return typeof value === 'string' ? (nested ? quote(value) : value) : null;
    case 'int32':
    case 'int64':
      return typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value)) ? String(value) : null;
    case 'array': {
      if (!Array.isArray(value)) return null;
      const parts = value.map((v) => canonical(schema.items, v, true));
      return parts.every((p) => p !== null) ? `[${parts.join(',')}]` : null;
    }
    case 'map': {
      if (!isPlainObject(value)) return null;
      const parts = Object.entries(value).map(([k, v]) => {
        const ks = canonical(schema.keys, k, true);
        const vs = canonical(schema.values, v, true);
        return ks === null || vs === null ? null : `${ks}:${vs}`;
      });
      return parts.every((p) => p !== null) ? `{${parts.join(',')}}` : null;
    }
    default:
      return null;
  }
}

/** Is this raw column value the unavailable-value placeholder (declared by the schema, or the default)? */
export function isUnavailable(value: unknown, schema: ConnectSchema | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  const declared = schema?.parameters?.[PLACEHOLDER_PARAMETER];
  if (typeof declared === 'string' && canonical(schema, value, false) === declared) return true;
  return isDefaultPlaceholder(value);
}
