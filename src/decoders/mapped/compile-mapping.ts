/**
 * Validates a mapping file (docs/formats/mapped.md) once, at start, and compiles it: every key checked, every
 * JSONata expression parsed, constants checked against the field they set. A mistake is an AuditqlError
 * (BAD_CONFIG) naming the key, e.g. `mapping: events[1].fields.occurredAt.expr: JSONata syntax error …`.
 */
import { isPlainObject } from '../../model/json.js';
import { compilePredicate, compileValue, mappingError, type Evaluate, type Predicate } from './compile-value.js';
import { coerceField } from './coerce-field.js';
import type { MappingFile } from './mapping-file.js';
import { fieldsOf, type TargetField } from './target-fields.js';

export interface CompiledDrop {
  readonly when: Predicate;
  /** Counted as skipped under `FILTERED:<reason>`. */
  readonly reason: string;
}

export interface CompiledField {
  readonly name: string;
  readonly path: string;
  readonly target: TargetField;
  readonly evaluate: Evaluate;
}

export interface CompiledEventType {
  readonly type: string;
  readonly kind: 'activity' | 'change';
  readonly match: Predicate;
  readonly drops: readonly CompiledDrop[];
  readonly fields: readonly CompiledField[];
}

export interface CompiledMapping {
  readonly name: string | null;
  readonly drops: readonly CompiledDrop[];
  readonly types: readonly CompiledEventType[];
  readonly unmatched: 'dead-letter' | 'skip';
}

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

function allowOnly(path: string, spec: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(spec)) if (!keys.includes(k)) throw mappingError(path ? `${path}.${k}` : k, `unknown key; expected one of ${keys.join(', ')}`);
}

function compileDrops(path: string, drops: unknown): CompiledDrop[] {
  if (drops === undefined) return [];
  if (!Array.isArray(drops)) throw mappingError(path, 'expected an array of {"when": …, "reason": …}');
  return drops.map((d, i) => {
    const p = `${path}[${i}]`;
    if (!isPlainObject(d)) throw mappingError(p, 'expected {"when": …, "reason": …}');
    allowOnly(p, d, ['when', 'reason']);
    if (typeof d['reason'] !== 'string' || !NAME.test(d['reason'])) throw mappingError(`${p}.reason`, 'required: 1-64 letters, digits and ._:- (it names the skip count)');
    return { when: compilePredicate(`${p}.when`, d['when']), reason: d['reason'] };
  });
}

function compileFields(path: string, kind: 'activity' | 'change', fields: unknown): CompiledField[] {
  if (!isPlainObject(fields)) throw mappingError(path, 'expected an object of field name → value');
  const targets = fieldsOf(kind);
  for (const [name, t] of Object.entries(targets)) if (t.required && !(name in fields)) throw mappingError(`${path}.${name}`, `required for kind ${kind}`);
  return Object.entries(fields).map(([name, spec]) => {
    const p = `${path}.${name}`;
    const target = targets[name];
    if (!target) throw mappingError(p, `not a field of kind ${kind}; expected one of ${Object.keys(targets).join(', ')}`);
    if (isPlainObject(spec) && 'const' in spec && !('time' in spec) && !('normalize' in spec)) {
      try {
        coerceField(p, target, spec['const']);
      } catch (err) {
        throw mappingError(`${p}.const`, (err as Error).message.replace(/^mapping [^:]+: /, ''));
      }
    }
    return { name, path: p, target, evaluate: compileValue(p, spec) };
  });
}

export function compileMapping(file: MappingFile | unknown): CompiledMapping {
  if (!isPlainObject(file)) throw mappingError('(top level)', 'expected a JSON object with "events"');
  allowOnly('', file, ['name', 'drop', 'events', 'unmatched']);
  const name = file['name'];
  if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) throw mappingError('name', '1-64 letters, digits and ._:-');
  const unmatched = file['unmatched'] ?? 'dead-letter';
  if (unmatched !== 'dead-letter' && unmatched !== 'skip') throw mappingError('unmatched', 'expected "dead-letter" or "skip"');
  const events = file['events'];
  if (!Array.isArray(events) || events.length === 0) throw mappingError('events', 'required: a non-empty array of event types');
  const seen = new Set<string>();
  const types = events.map((t, i): CompiledEventType => {
    const p = `events[${i}]`;
    if (!isPlainObject(t)) throw mappingError(p, 'expected an object with type, match, kind and fields');
    allowOnly(p, t, ['type', 'match', 'kind', 'drop', 'fields']);
    const type = t['type'];
    if (typeof type !== 'string' || !NAME.test(type)) throw mappingError(`${p}.type`, 'required: 1-64 letters, digits and ._:-');
    if (seen.has(type)) throw mappingError(`${p}.type`, `${JSON.stringify(type)} is already the type of an earlier entry`);
    seen.add(type);
    const kind = t['kind'];
    if (kind !== 'activity' && kind !== 'change') throw mappingError(`${p}.kind`, 'expected "activity" or "change"');
    if (!('match' in t)) throw mappingError(`${p}.match`, 'required: which events are of this type');
    return {
      type,
      kind,
      match: compilePredicate(`${p}.match`, t['match']),
      drops: compileDrops(`${p}.drop`, t['drop']),
      fields: compileFields(`${p}.fields`, kind, t['fields']),
    };
  });
  return Object.freeze({ name: (name as string | undefined) ?? null, drops: compileDrops('drop', file['drop']), types, unmatched });
}
