/**
 * What a SIEM mapping reads: an event as the API resolves it (src/graphql/nodes.ts), so whatever the
 * resolver did to the node (masking by the caller's role) is what the mapping sees. A change comes with
 * its actor and field changes, which the resolver loads beside the row.
 */
import type { ActivityNode, ChangeNode } from '../graphql/nodes.js';
import type { ActorNode } from '../graphql/actor.js';
import type { FieldChangeValue } from '../graphql/history/field-changes.js';

export interface ChangeInput {
  readonly kind: 'change';
  readonly node: ChangeNode;
  /** Null: no attribution evidence (never guessed). */
  readonly actor: ActorNode | null;
  readonly fieldChanges: readonly FieldChangeValue[];
}

export interface ActivityInput {
  readonly kind: 'activity';
  readonly node: ActivityNode;
}

export type SiemInput = ChangeInput | ActivityInput;

/** A JSON object as a mapping returns it: absent values left out, never `undefined`. */
export type SiemEvent = Record<string, unknown>;

const VERBATIM = Symbol('verbatim');
interface Verbatim {
  readonly [VERBATIM]: unknown;
}

/** Data to pass through `compact` untouched (row images, key values: a null there is a value). */
export const verbatim = (value: unknown): Verbatim => ({ [VERBATIM]: value === undefined ? null : value });

/**
 * Drop `null`/`undefined` members and empty objects, recursively (SIEMs index absent better than null),
 * except inside `verbatim(…)`, which is unwrapped as it is.
 */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(compact) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (VERBATIM in value) return (value as Verbatim)[VERBATIM] as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object' && VERBATIM in v) {
      out[k] = (v as Verbatim)[VERBATIM];
      continue;
    }
    const c = compact(v);
    if (c !== null && typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0) continue;
    out[k] = c;
  }
  return out as T;
}

/** When an event happened: the source's time, else when the warehouse stored it. */
export function eventTime(i: SiemInput): Date {
  return i.kind === 'change'
    ? i.node.committedAt ?? i.node.ingestedAt
    : i.node.occurredAt ?? i.node.startedAt ?? i.node.ingestedAt;
}

/** `schema.table` where there is a schema, else the table. */
export const qualifiedTable = (schema: string | null, table: string): string => (schema ? `${schema}.${table}` : table);

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** A remote host as the source wrote it: an IP address or a host name. */
export function hostParts(host: string | null): { ip: string | null; hostname: string | null } {
  if (!host) return { ip: null, hostname: null };
  const h = host.replace(/^\[|\]$/g, '');
  return IPV4.test(h) || h.includes(':') ? { ip: h, hostname: null } : { ip: null, hostname: h };
}

/** The first statement word, upper case: how an activity's command is read when it names the action. */
export const verbOf = (command: string | null): string => (command ?? '').trim().split(/\s+/)[0]?.toUpperCase() ?? '';
