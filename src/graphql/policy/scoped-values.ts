/**
 * What one role sees of a node, a connection or an entity state (docs/security.md "What is masked where").
 * Used by enforce-policy.ts on every field that carries row values, and by `entityAt`.
 */
import type { Json, JsonRow } from '../../model/json.js';
import { ABSENT } from '../../policy/mask-value.js';
import type { RoleView, TableRef } from '../../policy/role-view.js';
import type { Connection } from '../paging.js';
import type { ActivityNode, ActorUpdateNode, ChangeNode, SchemaChangeNode } from '../nodes.js';
import type { FieldChangeValue } from '../history/field-changes.js';
import type { ActorNode } from '../actor.js';

export type ScopedKind = 'Change' | 'Activity' | 'ActorUpdate' | 'SchemaChange';

/** Whether the role sees a node of `kind`. */
export function sees(view: RoleView, kind: ScopedKind, node: unknown): boolean {
  if (view.allTables || node === null || node === undefined) return true;
  if (kind === 'Change') return view.seesTable(node as ChangeNode);
  if (kind === 'Activity') return view.seesActivity(node as ActivityNode);
  if (kind === 'SchemaChange') return seesDdl(view, node as SchemaChangeNode);
  return view.seesTable((node as ActorUpdateNode).change);
}

/** DDL of a table: as that table's rows; DDL of a whole database (no table): as a session event of that database. */
function seesDdl(view: RoleView, d: SchemaChangeNode): boolean {
  if (d.table !== null) return view.seesTable({ database: d.database, schema: d.schema, table: d.table });
  return view.seesActivity({ database: d.database, objectName: null });
}

/**
 * A connection without the nodes the role may not see. `pageInfo` is the unfiltered page's: `endCursor`
 * resumes after every row the page read, so paging stays exact; a page may hold fewer than `first` edges
 * (even none) while `hasNextPage` is true.
 */
export function scopedConnection<N>(view: RoleView, kind: ScopedKind, c: Connection<N>): Connection<N> {
  if (view.allTables) return c;
  const edges = c.edges.filter((e) => sees(view, kind, e.node));
  return { ...c, edges, nodes: edges.map((e) => e.node) };
}

/** The changed columns the role may know of (an `absent` column is not named either). */
export function scopedColumns(view: RoleView, t: TableRef, columns: readonly string[]): readonly string[] {
  if (view.transparent) return columns;
  return columns.filter((c) => view.methodOf(t, c) !== 'absent');
}

const maskSide = (view: RoleView, t: TableRef, field: string, value: Json, from: string): Json => {
  if (from === 'UNKNOWN' || from === 'ABSENT') return value; // null that says "no value", not a value
  const m = view.mask(t, field, value);
  return m === ABSENT ? null : m;
};

/** Old and new masked; a masked value that changed still shows as a change (`hash` markers differ). */
export function scopedFieldChanges(view: RoleView, t: TableRef, changes: readonly FieldChangeValue[]): readonly FieldChangeValue[] {
  if (view.transparent) return changes;
  return changes
    .filter((f) => view.methodOf(t, f.field) !== 'absent')
    .map((f) => ({ ...f, oldValue: maskSide(view, t, f.field, f.oldValue, f.oldValueFrom), newValue: maskSide(view, t, f.field, f.newValue, f.newValueFrom) }));
}

export interface EntityStateLike {
  readonly row: JsonRow | null;
  readonly existence: string;
  readonly complete: boolean;
  readonly unknownColumns: readonly string[];
  readonly asOf: ChangeNode | null;
}

/** An entity state: unseen when its table is out of scope (as if there were no history), else masked. */
export function scopedEntityState<S extends EntityStateLike>(view: RoleView, s: S): S {
  if (view.transparent || s.asOf === null) return s;
  if (!view.seesTable(s.asOf)) return { ...s, row: null, existence: 'NO_HISTORY', complete: false, unknownColumns: [], asOf: null };
  return { ...s, row: view.maskRow(s.asOf, s.row), unknownColumns: scopedColumns(view, s.asOf, s.unknownColumns) };
}

/** Application context under `appContext: redact`, where JSON can say so (docs/security.md "Application context"). */
export const APP_REDACTED = Object.freeze({ $masked: 'redact' });

/**
 * An actor as a role sees it: under `appContext: redact` without the application user, on the actor and
 * on each piece of evidence, and with each evidence's detail (the application's context) redacted — as
 * the API's `Actor.appUser`, `Evidence.appUser` and `Evidence.detail` read.
 */
export function scopedActor(view: RoleView, a: ActorNode | null): ActorNode | null {
  if (a === null || view.appContext !== 'redact') return a;
  return { ...a, appUser: null, evidence: a.evidence.map((e) => ({ ...e, appUser: null, detail: APP_REDACTED })) };
}

/** Keys that carry row values inside `Change.extra` (Debezium's key headers on a primary-key update). */
const KEY_EXTRAS = ['newkey', 'oldkey'] as const;

/** `Change.extra` with the key values it may hold masked like `key` (a key that is not an object: redacted). */
export function scopedChangeExtra(view: RoleView, t: TableRef, extra: unknown): unknown {
  if (view.transparent || typeof extra !== 'object' || extra === null || !KEY_EXTRAS.some((k) => k in extra)) return extra;
  const out: Record<string, unknown> = { ...(extra as Record<string, unknown>) };
  for (const k of KEY_EXTRAS) {
    if (!(k in out)) continue;
    const v = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) ? view.maskRow(t, v as JsonRow) : { $masked: 'redact' };
  }
  return out;
}

/** `Activity.extra` without the engine's native audit fields (they can repeat the statement) unless statements are raw. */
export function scopedActivityExtra(view: RoleView, extra: unknown): unknown {
  if (view.statements === 'raw' || typeof extra !== 'object' || extra === null || !('engineNativeAuditFields' in extra)) return extra;
  const { engineNativeAuditFields: _dropped, ...rest } = extra as Record<string, unknown>;
  return rest;
}
