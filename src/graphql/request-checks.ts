/**
 * What is refused after parsing and before anything runs, so before any SQL, each with HTTP 400 (403 for
 * the first) and a client code (docs/errors.md): a document the caller's role may not send (its
 * persisted-operation allow-list, introspection without `adHoc`: policy/operation-allow-list.ts), a
 * mutation (the API is read-only: it has none), an argument holding a NUL
 * character (nul-arguments.ts), an operation over the depth or cost limits (limits.ts; the caller's role's
 * when lower, role-limits.ts).
 *
 * Runs on the operation Apollo resolved, with the request's variables — directly, not through graphql's
 * `validate` (a TypeInfo walk of the whole document on every request cost more than the check itself).
 * What depends on the document alone is worked out once per parsed document: the limits verdict of an
 * operation whose cost no variable can change, and which arguments could hold a NUL (nul-arguments.ts).
 */
import type { DocumentNode, FragmentDefinitionNode, GraphQLError as GraphQLErrorType, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { ErrorCode } from '../errors.js';
import type { ApiContext } from './context.js';
import { graphqlJs } from './graphql-js.js';
import { costReadsVariables, limitsError, type QueryLimits } from './limits.js';
import { nulArgumentError } from './nul-arguments.js';
import { callerLimits } from './role-limits.js';
import { operationNotAllowed } from './policy/operation-allow-list.js';

const { GraphQLError, Kind } = graphqlJs;

type Variables = Readonly<Record<string, unknown>> | undefined;

/** `mutation { … }` against a schema without mutations: a client mistake, not an execution failure. */
export function mutationError(schema: GraphQLSchema, op: OperationDefinitionNode): GraphQLErrorType | null {
  if (op.operation !== 'mutation' || schema.getMutationType()) return null;
  return new GraphQLError('this API is read-only: it has no mutations (send queries over HTTP, subscriptions over WebSocket)', {
    nodes: [op], extensions: { code: ErrorCode.BAD_INPUT },
  });
}

/**
 * Limit verdicts of operations whose depth and cost do not depend on the variables (costReadsVariables),
 * per operation node: Apollo parses a query text once and hands the same document to every request.
 */
export type LimitsCache = WeakMap<OperationDefinitionNode, GraphQLErrorType | null>;

/** The first reason to refuse `ops` of `document` before running them, else null. */
export function requestError(
  limits: QueryLimits, schema: GraphQLSchema, document: DocumentNode, ops: readonly OperationDefinitionNode[], variables: Variables,
  /** One per (limits, schema): verdicts that hold for every request of the same document. */
  cache?: LimitsCache,
): GraphQLErrorType | null {
  const fragments = (name: string) =>
    document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
  for (const op of ops) {
    const error = mutationError(schema, op);
    if (error) return error;
  }
  const nul = nulArgumentError(document, variables);
  if (nul) return nul;
  for (const op of ops) {
    let error = cache?.get(op);
    if (error === undefined) {
      error = limitsError(limits, schema, op, fragments, variables);
      if (cache && !costReadsVariables(op, fragments)) cache.set(op, error);
    }
    if (error) return error;
  }
  return null;
}

export function requestChecksPlugin(limits: QueryLimits): ApolloServerPlugin<ApiContext> {
  // Apollo's schema is fixed for the server's life, so verdicts cached per operation hold for it, per set of
  // limits: one cache per (role, page-size limit) a caller brings.
  const caches = new Map<string, LimitsCache>();
  const cacheFor = (key: string): LimitsCache => {
    let c = caches.get(key);
    if (!c) caches.set(key, (c = new WeakMap()));
    return c;
  };
  const hooks = {
    async didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<ApiContext>) {
      // The operation that will run; with none resolved and no name given (several anonymous choices), all
      // of them, as the validation rule does.
      const ops = rc.operation ? [rc.operation]
        : rc.request.operationName ? [] : rc.document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const ctx = rc.contextValue;
      const refused = operationNotAllowed(ctx.auth.role === undefined ? undefined : ctx.policy.roles.get(ctx.auth.role), rc.source, rc.document);
      if (refused) throw new GraphQLError(refused.message, { extensions: { ...refused.extensions, http: { status: 403 } } });
      const mine = callerLimits(ctx.policy, ctx.auth.role, { ...limits, maxPageSize: ctx.maxPageSize });
      const error = requestError(mine, rc.schema, rc.document, ops, rc.request.variables, cacheFor(`${ctx.auth.role ?? ''}\u0000${ctx.maxPageSize}`));
      if (error) throw new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, http: { status: 400 } } });
    },
  };
  return {
    async requestDidStart() {
      return hooks;
    },
  };
}
