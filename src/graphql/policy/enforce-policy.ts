/**
 * The one place roles are enforced (docs/security.md "Roles"): the schema's resolvers are wrapped once,
 * by field, so HTTP queries and subscription executions (shared-execution.ts runs the same schema) go
 * through the same code, and a field added later under an existing type is covered by its type:
 * - root fields the role may not use (`roles.<name>.fields`) refuse with AUDITQL_FORBIDDEN;
 * - `Change`, `Activity`, `SchemaChange` and their connections drop rows outside the role's table scope, and subscription
 *   streams skip them;
 * - row values (`before`, `after`, `key`, `fieldChanges`, key headers in `extra`) are masked, statements shown as the role's
 *   `statements` policy says (`entityAt` masks through scopedEntityState, scoped-values.ts);
 * - figures over the whole warehouse (transaction counts, attribution coverage, ledger proofs and
 *   checkpoints) refuse for a role with a table scope, rather than count rows it may not see.
 * The caller's role comes from `context.auth.role` (view-of.ts).
 */
import type { GraphQLField, GraphQLFieldResolver, GraphQLOutputType, GraphQLSchema } from 'graphql';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { JsonRow } from '../../model/json.js';
import type { RoleView } from '../../policy/role-view.js';
import { graphqlJs } from '../graphql-js.js';
import type { ApiContext } from '../context.js';
import type { ChangeNode } from '../nodes.js';
import type { FieldChangeValue } from '../history/field-changes.js';
import { viewOf } from './view-of.js';
import {
  APP_REDACTED, scopedActivityExtra, scopedChangeExtra, scopedColumns, scopedConnection, scopedFieldChanges, sees, type ScopedKind,
} from './scoped-values.js';

const { defaultFieldResolver, getNamedType, isNonNullType, isObjectType } = graphqlJs;

type Rewrite = (value: unknown, view: RoleView, source: unknown) => unknown;

/** Fields whose values count or hash rows across every table. */
export const WAREHOUSE_WIDE_FIELDS: ReadonlySet<string> = new Set([
  'Transaction.changeCount', 'Transaction.activityCount', 'Transaction.eventCount', 'Transaction.context', 'Transaction.appUser',
  'Query.attributionCoverage', 'Query.consistencyProof', 'Query.latestCheckpoint', 'Subscription.checkpointAdded',
  'Change.proof', 'Activity.proof', 'Query.forwarders',
]);

const SCOPED_KINDS: ReadonlySet<string> = new Set(['Change', 'Activity', 'ActorUpdate', 'SchemaChange']);
const CONNECTIONS: Readonly<Record<string, ScopedKind>> = { ChangeConnection: 'Change', ActivityConnection: 'Activity', SchemaChangeConnection: 'SchemaChange' };

const row = (v: unknown, view: RoleView, c: unknown) => (view.transparent ? v : view.maskRow(c as ChangeNode, v as JsonRow | null));
const columns = (v: unknown, view: RoleView, c: unknown) => scopedColumns(view, c as ChangeNode, v as string[]);

/** Application context under `appContext: redact`: JSON says it is masked; a String field can only be null. */
const appJson: Rewrite = (v, view) => (view.appContext === 'redact' && v != null ? APP_REDACTED : v);
const appString: Rewrite = (v, view) => (view.appContext === 'redact' ? null : v);

const VALUE_FIELDS: Readonly<Record<string, Rewrite>> = {
  'Transaction.context': appJson,
  'Transaction.appUser': appString,
  'Actor.appUser': appString,
  'Evidence.appUser': appString,
  'Evidence.detail': appJson,
  'Change.before': row,
  'Change.after': row,
  'Change.key': row,
  'Change.changedFields': columns,
  'Change.unknownBefore': columns,
  'Change.unknownAfter': columns,
  'Change.extra': (v, view, c) => scopedChangeExtra(view, c as ChangeNode, v),
  'Activity.extra': (v, view) => scopedActivityExtra(view, v),
  'Change.fieldChanges': (v, view, c) => scopedFieldChanges(view, c as ChangeNode, v as FieldChangeValue[]),
  'Activity.commandText': (v, view) => view.statement(v as string | null),
  'Activity.errorMessage': (v, view) => view.errorMessage(v as string | null),
  'Activity.parameters': (v, view) => (view.statements === 'raw' ? v : null),
};

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';

function after(resolve: GraphQLFieldResolver<unknown, ApiContext>, rewrite: Rewrite): GraphQLFieldResolver<unknown, ApiContext> {
  return (source, args, ctx, info) => {
    const view = viewOf(ctx);
    const v = resolve(source, args, ctx, info);
    return isThenable(v) ? Promise.resolve(v).then((x) => rewrite(x, view, source)) : rewrite(v, view, source);
  };
}

function before(resolve: GraphQLFieldResolver<unknown, ApiContext>, check: (view: RoleView) => void): GraphQLFieldResolver<unknown, ApiContext> {
  return (source, args, ctx, info) => {
    check(viewOf(ctx));
    return resolve(source, args, ctx, info);
  };
}

/** The events the role sees; `return` reaches the feed at once, even while waiting for the next event. */
function onlySeen(events: AsyncIterable<unknown>, view: RoleView, kind: ScopedKind): AsyncIterableIterator<unknown> {
  const it = events[Symbol.asyncIterator]();
  return {
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done || sees(view, kind, (r.value as { node: unknown }).node)) return r;
      }
    },
    async return(value?: unknown) {
      await it.return?.(value);
      return { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      await it.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const forbidden = (message: string) => new AuditqlError(ErrorCode.FORBIDDEN, message);

function enforceField(typeName: string, field: GraphQLField<unknown, ApiContext>): void {
  const coordinate = `${typeName}.${field.name}`;
  const named = getNamedType(field.type as GraphQLOutputType).name;
  let resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, ApiContext>;

  const rewrite = VALUE_FIELDS[coordinate];
  if (rewrite) resolve = after(resolve, rewrite);
  const kind = CONNECTIONS[named];
  if (kind) resolve = after(resolve, (v, view) => (v == null ? v : scopedConnection(view, kind, v as never)));
  // A nullable single node out of scope is null ("no such row"); a non-null one is filtered by its parent.
  if (SCOPED_KINDS.has(named) && !isNonNullType(field.type) && typeName !== 'Subscription') {
    resolve = after(resolve, (v, view) => (sees(view, named as ScopedKind, v) ? v : null));
  }
  if (WAREHOUSE_WIDE_FIELDS.has(coordinate)) {
    resolve = before(resolve, (view) => {
      if (!view.allTables) throw forbidden(`${coordinate} counts rows across every table; the role ${JSON.stringify(view.role)} has a table scope`);
    });
  }
  const root = typeName === 'Query' || typeName === 'Subscription';
  const allowed = (view: RoleView) => {
    if (!view.allowsField(coordinate)) throw forbidden(`the role ${JSON.stringify(view.role)} may not use ${coordinate}`);
  };
  if (root) resolve = before(resolve, allowed);
  field.resolve = resolve;

  if (typeName === 'Subscription' && field.subscribe) {
    const subscribe = field.subscribe as GraphQLFieldResolver<unknown, ApiContext>;
    field.subscribe = async (source, args, ctx, info) => {
      const view = viewOf(ctx);
      allowed(view);
      if (WAREHOUSE_WIDE_FIELDS.has(coordinate) && !view.allTables) throw forbidden(`${coordinate} is not available to a role with a table scope`);
      const events = (await subscribe(source, args, ctx, info)) as AsyncIterable<unknown>;
      return SCOPED_KINDS.has(named) && !view.allTables ? onlySeen(events, view, named as ScopedKind) : events;
    };
  }
}

/** Wrap every field of `schema` that the policy bears on (in place; the schema is built once). */
export function enforcePolicy(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) enforceField(type.name, field as GraphQLField<unknown, ApiContext>);
  }
  return schema;
}
