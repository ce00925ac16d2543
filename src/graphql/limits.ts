/**
 * Query depth and cost limits (docs/graphql.md "Limits"): a validation rule that rejects an abusive
 * operation before it runs, so before any SQL. It needs the request's variables (a `first: $n` multiplies
 * what it selects), so it runs per request from the Apollo plugin in server.ts rather than in Apollo's
 * cached validation; a WebSocket transport can run the same rule with `graphql.validate`.
 *
 * - depth: fields nested in fields (fragments expanded); introspection (`__schema`, `__type`) is exempt:
 *   its nesting (`ofType { ofType … }`) ends where the schema's does, and its cost is exact.
 * - cost: every selected field costs 1 for each parent item it is fetched for, `__typename` included; a
 *   field with a `first` argument multiplies what it selects by `first` (its default when absent).
 *   `changes(first: 100) { edges { node { id actor { dbUser } } } }` costs 1 + 100 × (1 + 1 + 1 + 2) = 501.
 *   Introspection costs what it returns, counted over the schema (introspection-cost.ts): the standard
 *   introspection query passes, the same query under many aliases does not.
 */
import type {
  FieldNode, FragmentDefinitionNode, GraphQLError as GraphQLErrorType, GraphQLCompositeType, GraphQLField, GraphQLSchema, OperationDefinitionNode, SelectionSetNode,
  ValidationContext, ValidationRule, ValueNode,
} from 'graphql';
import { graphqlJs } from './graphql-js.js';
import { ErrorCode } from '../errors.js';
import { DEFAULT_PAGE_SIZE } from './paging.js';
import { introspectionCost } from './introspection-cost.js';

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
  /** Counting stops here: a cost of `cap` only says "at least this much". */
  cap = Number.MAX_SAFE_INTEGER,
): Complexity {
  let depth = 0;
  let cost = 0;
  // Fields looked at: what bounds the time this takes, even where `first: 0` makes the cost nothing and
  // fragments spread fragments twice over (2^n fields from n small fragments).
  let visits = 0;
  const over = () => cost >= cap || visits >= cap;
  const walk = (set: SelectionSetNode, type: GraphQLCompositeType, items: number, level: number, seen: ReadonlySet<string>): void => {
    for (const sel of set.selections) {
      if (over()) return;
      visits += 1;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name === '__schema' || name === '__type') {
          cost += items * introspectionCost(schema, sel, fragments, variables, cap);
          continue;
        }
        cost += items;
        if (name === '__typename') continue;
        depth = Math.max(depth, level);
        const def = fieldDef(type, name);
        const inner = def ? getNamedType(def.type) : undefined;
        if (sel.selectionSet && def && inner && isCompositeType(inner)) {
          walk(sel.selectionSet, inner, items * multiplier(def, sel, variables), level + 1, seen);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        walk(sel.selectionSet, cond && isCompositeType(cond) ? cond : type, items, level, seen);
      } else {
        const name = sel.name.value;
        const frag = fragments(name);
        if (!frag || seen.has(name)) continue; // cycles are rejected by standard validation
        const cond = schema.getType(frag.typeCondition.name.value);
        walk(frag.selectionSet, cond && isCompositeType(cond) ? cond : type, items, level, new Set([...seen, name]));
      }
    }
  };
  const root = rootType(schema, op);
  if (root) walk(op.selectionSet, root, 1, 1, new Set());
  return { depth, cost: over() ? cap : cost };
}

/**
 * Whether the depth and cost of `op` could change with the variables: only a `first` argument (the
 * multiplier) or an argument under an introspection field (`__type(name: $n)`) is read with them. Judged
 * from the document alone, conservatively: such an argument holding any variable counts.
 */
export function costReadsVariables(op: OperationDefinitionNode, fragments: (name: string) => FragmentDefinitionNode | undefined | null): boolean {
  const seen = new Set<string>();
  const hasVariable = (set: SelectionSetNode | undefined, anyArgument: boolean): boolean => {
    if (!set) return false;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const introspection = anyArgument || sel.name.value === '__schema' || sel.name.value === '__type';
        for (const a of sel.arguments ?? []) {
          if ((introspection || a.name.value === 'first') && valueHasVariable(a.value)) return true;
        }
        if (hasVariable(sel.selectionSet, introspection)) return true;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (hasVariable(sel.selectionSet, anyArgument)) return true;
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        if (hasVariable(fragments(sel.name.value)?.selectionSet, anyArgument)) return true;
      }
    }
    return false;
  };
  return hasVariable(op.selectionSet, false);
}

function valueHasVariable(v: ValueNode): boolean {
  return v.kind === Kind.VARIABLE || (v.kind === Kind.LIST && v.values.some(valueHasVariable)) || (v.kind === Kind.OBJECT && v.fields.some((f) => valueHasVariable(f.value)));
}

/** `AUDITQL_QUERY_TOO_COMPLEX` for an operation over a limit, else null. */
export function limitsError(
  limits: QueryLimits, schema: GraphQLSchema, op: OperationDefinitionNode,
  fragments: (name: string) => FragmentDefinitionNode | undefined | null, variables: Variables,
): GraphQLErrorType | null {
  const c = complexityOf(schema, op, fragments, variables, limits.maxCost + 1);
  const problem =
    c.depth > limits.maxDepth
      ? `nests fields ${c.depth} deep; the limit is ${limits.maxDepth}`
      : c.cost > limits.maxCost
        ? `would fetch more than ${limits.maxCost} fields, the limit (lower \`first\` or select less)`
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
