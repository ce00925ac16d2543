/**
 * Query depth and cost limits (docs/graphql.md "Limits"): a validation rule that rejects an abusive
 * operation before it runs, so before any SQL. It needs the request's variables (a `first: $n` multiplies
 * what it selects), so it runs per request from the Apollo plugin in server.ts rather than in Apollo's
 * cached validation; a WebSocket transport can run the same rule with `graphql.validate`.
 *
 * - depth: fields nested in fields (fragments expanded); introspection (`__schema`, `__type`) is exempt
 *   — turn introspection off instead (AUDITQL_INTROSPECTION=false).
 * - cost: every selected field costs 1 for each parent item it is fetched for; a field with a `first`
 *   argument multiplies what it selects by `first` (its default when absent). `changes(first: 100) {
 *   edges { node { id actor { dbUser } } } }` costs 1 + 100 × (1 + 1 + 1 + 2) = 501.
 */
import type {
  FieldNode, FragmentDefinitionNode, GraphQLError as GraphQLErrorType, GraphQLCompositeType, GraphQLField, GraphQLSchema, OperationDefinitionNode, SelectionSetNode,
  ValidationContext, ValidationRule,
} from 'graphql';
import { graphqlJs } from './graphql-js.js';
import { ErrorCode } from '../errors.js';
import { DEFAULT_PAGE_SIZE } from './paging.js';

const { GraphQLError, getNamedType, isCompositeType, isInterfaceType, isObjectType, Kind, valueFromAST } = graphqlJs;

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({ maxDepth: 12, maxCost: 50_000 });

export interface Complexity {
  readonly depth: number;
  readonly cost: number;
}

type Variables = Readonly<Record<string, unknown>> | undefined;

function rootType(schema: GraphQLSchema, op: OperationDefinitionNode): GraphQLCompositeType | null | undefined {
  return op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
}

function fieldDef(type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
}

/** How many items a field's `first` argument asks for (1 when it has none). */
function multiplier(def: GraphQLField<unknown, unknown>, node: FieldNode, variables: Variables): number {
  const arg = def.args.find((a) => a.name === 'first');
  if (!arg) return 1;
  const given = node.arguments?.find((a) => a.name.value === 'first');
  const value = given ? valueFromAST(given.value, arg.type, variables as Record<string, unknown> | undefined) : arg.defaultValue;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : DEFAULT_PAGE_SIZE;
}

/** Depth and cost of one operation. */
export function complexityOf(
  schema: GraphQLSchema, op: OperationDefinitionNode, fragments: (name: string) => FragmentDefinitionNode | undefined | null, variables: Variables,
): Complexity {
  let depth = 0;
  const walk = (set: SelectionSetNode, type: GraphQLCompositeType, items: number, level: number, seen: ReadonlySet<string>): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__')) continue; // __typename is free; introspection is governed by its own switch
        cost += items;
        depth = Math.max(depth, level);
        const def = fieldDef(type, name);
        const inner = def ? getNamedType(def.type) : undefined;
        if (sel.selectionSet && def && inner && isCompositeType(inner)) {
          cost += walk(sel.selectionSet, inner, items * multiplier(def, sel, variables), level + 1, seen);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        cost += walk(sel.selectionSet, cond && isCompositeType(cond) ? cond : type, items, level, seen);
      } else {
        const name = sel.name.value;
        const frag = fragments(name);
        if (!frag || seen.has(name)) continue; // cycles are rejected by standard validation
        const cond = schema.getType(frag.typeCondition.name.value);
        cost += walk(frag.selectionSet, cond && isCompositeType(cond) ? cond : type, items, level, new Set([...seen, name]));
      }
    }
    return cost;
  };
  const root = rootType(schema, op);
  const cost = root ? walk(op.selectionSet, root, 1, 1, new Set()) : 0;
  return { depth, cost };
}

/** `AUDITQL_QUERY_TOO_COMPLEX` for an operation over a limit, else null. */
export function limitsError(
  limits: QueryLimits, schema: GraphQLSchema, op: OperationDefinitionNode,
  fragments: (name: string) => FragmentDefinitionNode | undefined | null, variables: Variables,
): GraphQLErrorType | null {
  const c = complexityOf(schema, op, fragments, variables);
  const problem =
    c.depth > limits.maxDepth
      ? `nests fields ${c.depth} deep; the limit is ${limits.maxDepth}`
      : c.cost > limits.maxCost
        ? `would fetch about ${c.cost} fields; the limit is ${limits.maxCost} (lower \`first\` or select less)`
        : null;
  return problem ? new GraphQLError(`query is too complex: it ${problem}`, { nodes: [op], extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } }) : null;
}

/**
 * The rule: reports `AUDITQL_QUERY_TOO_COMPLEX` when the operation (the one named `operationName`, or
 * every operation when none is) exceeds a limit. HTTP skips graphql's `validate` walk and calls
 * `limitsError` on the operation Apollo resolved (server.ts).
 */
export function queryLimitsRule(limits: QueryLimits, variables: Variables, operationName?: string | null): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(op) {
      if (operationName && op.name?.value !== operationName) return false;
      const error = limitsError(limits, context.getSchema(), op, (n) => context.getFragment(n), variables);
      if (error) context.reportError(error);
      return false;
    },
  });
}
