/**
 * Validates an ECS document against the pinned field list in test/fixtures/ecs/ (README there): required
 * fields present, every leaf an ECS field of the right shape or under a documented custom prefix, allowed
 * values and the expected `event.type` for each `event.category`.
 */
import { readFileSync } from 'node:fs';
import { FIXTURES } from './fixtures.js';

interface Reference {
  readonly required: readonly string[];
  readonly custom_prefixes: readonly string[];
  readonly fields: Record<string, string>;
  readonly allowed: Record<string, readonly string[]>;
  readonly expected_types: Record<string, readonly string[]>;
}

const ref = JSON.parse(readFileSync(`${FIXTURES}ecs/fields.json`, 'utf8')) as Reference;

/** Leaf paths of a document (arrays are leaves, as ECS fields hold arrays of values). */
function leaves(v: unknown, path: string, out: Map<string, unknown>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
    for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  } else out.set(path, v);
}

function shapeOk(type: string, v: unknown): boolean {
  if (type.endsWith('[]')) return Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (type === 'long') return Number.isInteger(v);
  if (type === 'date') return typeof v === 'string' && !Number.isNaN(Date.parse(v));
  if (type === 'ip') return typeof v === 'string' && (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || v.includes(':'));
  return typeof v === 'string';
}

export function validateEcs(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const flat = new Map<string, unknown>();
  leaves(doc, '', flat);
  for (const r of ref.required) if (!flat.has(r)) problems.push(`${r}: required, missing`);
  for (const [path, v] of flat) {
    if (ref.custom_prefixes.some((p) => path.startsWith(p))) continue;
    const type = ref.fields[path];
    if (!type) problems.push(`${path}: not an ECS field auditql documents`);
    else if (!shapeOk(type, v)) problems.push(`${path}: not a ${type} (${JSON.stringify(v)})`);
    const allowed = ref.allowed[path];
    if (allowed) for (const x of Array.isArray(v) ? v : [v]) if (!allowed.includes(x as string)) problems.push(`${path}: ${JSON.stringify(x)} not allowed`);
  }
  const cats = (flat.get('event.category') ?? []) as string[];
  const types = (flat.get('event.type') ?? []) as string[];
  for (const t of types) {
    if (!cats.some((c) => ref.expected_types[c]?.includes(t))) problems.push(`event.type ${t} is expected by none of the categories ${cats.join(', ')}`);
  }
  return problems;
}
