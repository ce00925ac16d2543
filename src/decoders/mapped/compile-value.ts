/**
 * Compiles one value or predicate of a mapping into an evaluator, once, at start: JSONata syntax errors,
 * bad pointers and unknown options are refused here naming the key. Evaluating is pure (JSONata over the
 * parsed event, no bindings to the outside); an expression that fails on a record throws a DecodeError
 * naming the key and JSONata's error, and the pipeline dead-letters the record.
 */
import jsonata from 'jsonata';
import { AuditqlError, ErrorCode, undecodable } from '../../errors.js';
import { isPlainObject, jsonEqual, type Json } from '../../model/json.js';
import { parsePointer, resolvePointer } from './json-pointer.js';
import { NORMALIZE_STEPS, TIME_UNITS, type NormalizeStep, type PredicateSpec, type TimeUnit, type ValueSpec } from './mapping-file.js';

/** Evaluates against the parsed event; undefined when the event has nothing there. */
export type Evaluate = (event: unknown) => Promise<unknown>;
export type Predicate = (event: unknown) => Promise<boolean>;

/** A mapping mistake found at start: BAD_CONFIG naming the key (`events[0].fields.pid.expr: …`). */
export const mappingError = (path: string, message: string) => new AuditqlError(ErrorCode.BAD_CONFIG, `mapping: ${path}: ${message}`);

interface JsonataFailure {
  readonly code?: string;
  readonly position?: number;
  readonly message?: string;
  readonly value?: unknown;
}

function compileExpression(path: string, text: unknown): Evaluate {
  if (typeof text !== 'string' || text.trim() === '') throw mappingError(path, 'expected a JSONata expression (a non-empty string)');
  let expression: jsonata.Expression;
  try {
    expression = jsonata(text);
  } catch (err) {
    const e = err as JsonataFailure;
    throw mappingError(path, `JSONata syntax error ${e.code ?? ''} at character ${e.position ?? '?'}: ${e.message ?? String(err)}`);
  }
  return async (event) => {
    try {
      return await expression.evaluate(event);
    } catch (err) {
      const e = err as JsonataFailure;
      let message = e.message ?? String(err);
      // Some JSONata messages quote the offending value: a dead letter's message never holds event values.
      if (e.value !== undefined && e.value !== null && String(e.value) !== '') message = message.split(String(e.value)).join('…');
      throw undecodable(`mapping ${path}: JSONata ${e.code ?? 'error'} at character ${e.position ?? '?'}: ${message}`);
    }
  };
}

function compilePointer(path: string, pointer: unknown): Evaluate {
  if (typeof pointer !== 'string') throw mappingError(path, 'expected a JSON pointer string such as "/user/name"');
  const tokens = parsePointer(pointer);
  if (typeof tokens === 'string') throw mappingError(path, tokens);
  return async (event) => resolvePointer(event, tokens);
}

function allowOnly(path: string, spec: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(spec)) if (!keys.includes(k)) throw mappingError(`${path}.${k}`, `unknown key; expected one of ${keys.join(', ')}`);
}

export function compilePredicate(path: string, spec: PredicateSpec | unknown): Predicate {
  if (typeof spec === 'string') {
    const e = compileExpression(path, spec);
    return async (event) => (await e(event)) === true;
  }
  if (!isPlainObject(spec)) throw mappingError(path, 'expected a JSONata expression, {"expr": …} or {"pointer": …, "equals": …}');
  if ('expr' in spec) {
    allowOnly(path, spec, ['expr']);
    return compilePredicate(`${path}.expr`, spec['expr']);
  }
  allowOnly(path, spec, ['pointer', 'equals']);
  if (!('equals' in spec)) throw mappingError(`${path}.equals`, 'required beside "pointer": the value the pointer must reach');
  const at = compilePointer(`${path}.pointer`, spec['pointer']);
  const expected = spec['equals'] as Json;
  return async (event) => {
    const v = await at(event);
    return v !== undefined && jsonEqual(v as Json, expected);
  };
}

const epoch = (v: unknown, scale: number): Date => {
  const n = typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error('not a number of epoch ' + (scale === 1000 ? 'seconds' : 'milliseconds'));
  return new Date(Math.round(n * scale));
};

/** `time`: a number or string as a Date; throws a message with no value in it. */
export function toTime(v: unknown, unit: TimeUnit): Date {
  if (v instanceof Date) return v;
  if (unit === 'epoch-seconds') return epoch(v, 1000);
  if (unit === 'epoch-millis') return epoch(v, 1);
  if (typeof v !== 'string') throw new Error(typeof v === 'number' ? 'a number: declare "time": "epoch-seconds" or "epoch-millis"' : `a ${typeof v}, not an ISO 8601 timestamp`);
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v.trim())) throw new Error('not an ISO 8601 timestamp');
  return d;
}

const STEPS: Record<NormalizeStep, (s: string) => string> = {
  trim: (s) => s.trim(),
  lowercase: (s) => s.toLowerCase(),
  uppercase: (s) => s.toUpperCase(),
  'strip-domain': (s) => s.slice(s.lastIndexOf('\\') + 1), // CORP\alice → alice
  'strip-realm': (s) => (s.includes('@') ? s.slice(0, s.lastIndexOf('@')) : s), // alice@CORP.EXAMPLE → alice
};

function compileSource(path: string, spec: Record<string, unknown>): Evaluate {
  const sources = ['expr', 'pointer', 'const', 'cases'].filter((k) => k in spec);
  if (sources.length !== 1) throw mappingError(path, `give exactly one of expr, pointer, const or cases${sources.length ? ` (found ${sources.join(', ')})` : ''}`);
  if ('default' in spec && !('cases' in spec)) throw mappingError(`${path}.default`, 'only beside "cases"');
  if ('expr' in spec) return compileExpression(`${path}.expr`, spec['expr']);
  if ('pointer' in spec) return compilePointer(`${path}.pointer`, spec['pointer']);
  if ('const' in spec) {
    const c = spec['const'];
    return async () => c;
  }
  const cases = spec['cases'];
  if (!Array.isArray(cases) || cases.length === 0) throw mappingError(`${path}.cases`, 'expected a non-empty array of {"when": …, "value": …}');
  const compiled = cases.map((c, i) => {
    const p = `${path}.cases[${i}]`;
    if (!isPlainObject(c)) throw mappingError(p, 'expected {"when": …, "value": …}');
    allowOnly(p, c, ['when', 'value']);
    if (!('value' in c)) throw mappingError(`${p}.value`, 'required');
    return { when: compilePredicate(`${p}.when`, c['when']), value: compileValue(`${p}.value`, c['value']) };
  });
  const otherwise = 'default' in spec ? compileValue(`${path}.default`, spec['default']) : async () => undefined;
  return async (event) => {
    for (const c of compiled) if (await c.when(event)) return c.value(event);
    return otherwise(event);
  };
}

/** A field's value: the source (expr, pointer, const, cases), then `time`, then `normalize`. */
export function compileValue(path: string, spec: ValueSpec | unknown): Evaluate {
  if (typeof spec === 'string') return compileExpression(path, spec);
  if (!isPlainObject(spec)) throw mappingError(path, 'expected a JSONata expression or an object with expr, pointer, const or cases');
  allowOnly(path, spec, ['expr', 'pointer', 'const', 'cases', 'default', 'time', 'normalize']);
  const source = compileSource(path, spec);
  const time = spec['time'];
  if (time !== undefined && !(TIME_UNITS as readonly unknown[]).includes(time)) throw mappingError(`${path}.time`, `expected one of ${TIME_UNITS.join(', ')}`);
  const normalize = spec['normalize'] ?? [];
  if (!Array.isArray(normalize) || normalize.some((s) => !(NORMALIZE_STEPS as readonly unknown[]).includes(s))) {
    throw mappingError(`${path}.normalize`, `expected an array of ${NORMALIZE_STEPS.join(', ')}`);
  }
  const steps = (normalize as NormalizeStep[]).map((s) => STEPS[s]);
  if (time === undefined && steps.length === 0) return source;
  return async (event) => {
    let v = await source(event);
    if (v === undefined || v === null) return v;
    if (steps.length > 0) {
      if (typeof v !== 'string') throw undecodable(`mapping ${path}.normalize: a ${typeof v}, not a string`);
      for (const step of steps) v = step(v as string);
    }
    if (time !== undefined) {
      try {
        v = toTime(v, time as TimeUnit);
      } catch (err) {
        throw undecodable(`mapping ${path}.time: ${(err as Error).message}`);
      }
    }
    return v;
  };
}
