/**
 * A field's evaluated value checked against what the normalized field holds (target-fields.ts). Nothing
 * (undefined, null) is null; a wrong type is a DecodeError naming the field and the type, never the value.
 */
import { undecodable } from '../../errors.js';
import { isPlainObject, type Json } from '../../model/json.js';
import { toTime } from './compile-value.js';
import { isActivityClass, isOperation, OPERATIONS, type TargetField } from './target-fields.js';
import { ACTIVITY_CLASSES } from '../../model/events.js';

const kindOf = (v: unknown) => (Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** JSONata sequences and objects carry no prototype surprises once they went through JSON. */
const plainJson = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;

export function coerceField(path: string, target: TargetField, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const fail = (expected: string): never => {
    throw undecodable(`mapping ${path}: evaluated to ${kindOf(value)}, expected ${expected}`);
  };
  switch (target.type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fail('a string');
    case 'integer': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isSafeInteger(n) ? n : fail('an integer');
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'time':
      try {
        return toTime(value, 'iso');
      } catch (err) {
        throw undecodable(`mapping ${path}: ${(err as Error).message}`);
      }
    case 'object':
      return isPlainObject(value) ? plainJson(value) : fail('a JSON object');
    case 'json':
      return plainJson(value);
    case 'class':
      return isActivityClass(value) ? value : fail(`one of ${ACTIVITY_CLASSES.join(', ')}`);
    case 'operation':
      return isOperation(value) ? value : fail(`one of ${OPERATIONS.join(', ')}`);
  }
}
