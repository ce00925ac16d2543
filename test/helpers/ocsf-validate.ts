/**
 * Validates an OCSF event against the pinned class definitions in test/fixtures/ocsf/ (README there):
 * required attributes present, every attribute known to its class or object, types and enum values valid,
 * `at_least_one` constraints met. Returns the problems (empty: valid) and the recommended attributes left out.
 */
import { readFileSync } from 'node:fs';
import { FIXTURES } from './fixtures.js';

interface AttrDef {
  readonly requirement: 'required' | 'recommended' | 'optional';
  readonly type?: string;
  readonly object?: string;
  readonly enum?: readonly number[];
}
interface Def {
  readonly attributes: Record<string, AttrDef>;
  readonly constraints?: { readonly at_least_one?: readonly string[] };
  readonly class_uid?: number;
  readonly category_uid?: number;
}

const load = (f: string) => JSON.parse(readFileSync(`${FIXTURES}ocsf/${f}`, 'utf8')) as Def & { objects?: Record<string, Def> };
const base = load('base_event.json');
const classes = new Map<number, Def & { name: string }>(
  ['datastore_activity.json', 'authentication.json'].map((f) => {
    const d = load(f) as Def & { name: string };
    return [d.class_uid!, { ...d, attributes: { ...base.attributes, ...d.attributes } }];
  }),
);
const objects = load('objects.json').objects!;

export const pinnedOcsfVersion = (): string => (load('base_event.json') as unknown as { ocsf_version: string }).ocsf_version;

export interface OcsfReport {
  readonly problems: string[];
  readonly missingRecommended: string[];
}

function typeOk(type: string | undefined, v: unknown): boolean {
  switch (type) {
    case undefined:
      return true;
    case 'integer':
    case 'timestamp':
      return Number.isInteger(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    default:
      return false;
  }
}

function check(def: Def, value: Record<string, unknown>, path: string, r: OcsfReport): void {
  for (const [name, a] of Object.entries(def.attributes)) {
    const v = value[name];
    const at = path ? `${path}.${name}` : name;
    if (v === undefined || v === null) {
      if (a.requirement === 'required') r.problems.push(`${at}: required, missing`);
      if (a.requirement === 'recommended') r.missingRecommended.push(at);
      continue;
    }
    if (a.object) {
      if (!typeOk('object', v)) r.problems.push(`${at}: not an object`);
      else check(objects[a.object]!, v as Record<string, unknown>, at, r);
    } else if (!typeOk(a.type, v)) r.problems.push(`${at}: not a ${a.type} (${JSON.stringify(v)})`);
    if (a.enum && !a.enum.includes(v as number)) r.problems.push(`${at}: ${JSON.stringify(v)} is not one of ${a.enum.join(', ')}`);
  }
  for (const name of Object.keys(value)) {
    if (!(name in def.attributes)) r.problems.push(`${path ? `${path}.` : ''}${name}: not an attribute of this class or object`);
  }
  const one = def.constraints?.at_least_one;
  if (one && !one.some((n) => value[n] !== undefined && value[n] !== null)) r.problems.push(`${path || 'event'}: needs at least one of ${one.join(', ')}`);
}

export function validateOcsf(event: Record<string, unknown>): OcsfReport {
  const r: OcsfReport = { problems: [], missingRecommended: [] };
  const cls = classes.get(event.class_uid as number);
  if (!cls) return { problems: [`class_uid ${String(event.class_uid)} is not a pinned class`], missingRecommended: [] };
  if (event.category_uid !== cls.category_uid) r.problems.push(`category_uid ${String(event.category_uid)} is not ${cls.category_uid}`);
  if (event.type_uid !== (event.class_uid as number) * 100 + (event.activity_id as number)) r.problems.push('type_uid is not class_uid * 100 + activity_id');
  const meta = event.metadata as Record<string, unknown> | undefined;
  if (meta && meta.version !== pinnedOcsfVersion()) r.problems.push(`metadata.version ${String(meta.version)} is not the pinned ${pinnedOcsfVersion()}`);
  check(cls, event, '', r);
  return r;
}
