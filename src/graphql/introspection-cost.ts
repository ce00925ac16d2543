/**
 * What an introspection selection (`__schema`, `__type`) costs under the rule of limits.ts — every field
 * costs 1 for each item it is fetched for — counted exactly over this schema instead of estimated: the
 * lists (`types`, `fields`, `args`, …) have the sizes the schema gives them, and `ofType` ends where the
 * type does. GraphiQL's and codegen's introspection query costs what it returns; the same query repeated
 * under aliases, or `fields { type { fields { type … } } }`, costs what it would return too, and is refused
 * like any other operation over the cost limit.
 *
 * Counting is memoized per (schema element, selection set) and saturates at `cap`, so a document that
 * would expand exponentially is priced in time bounded by its size times the schema's, and stops early.
 * `@skip`/`@include` and `includeDeprecated` are ignored: what they might leave out is counted.
 */
import type {
  FieldNode, FragmentDefinitionNode, GraphQLArgument, GraphQLDirective, GraphQLEnumValue, GraphQLField, GraphQLInputField, GraphQLSchema,
  GraphQLType, SelectionSetNode,
} from 'graphql';
import { graphqlJs } from './graphql-js.js';

const { isAbstractType, isEnumType, isInputObjectType, isInterfaceType, isListType, isNonNullType, isObjectType, Kind, valueFromAST, GraphQLString } = graphqlJs;

type Variables = Readonly<Record<string, unknown>> | undefined;
type Fragments = (name: string) => FragmentDefinitionNode | undefined | null;

/** An introspection object: what a `__Schema`, `__Type`, `__Field`, `__InputValue`, `__EnumValue` or `__Directive` resolves from. */
type Element =
  | { readonly kind: 'schema'; readonly of: GraphQLSchema }
  | { readonly kind: 'type'; readonly of: GraphQLType }
  | { readonly kind: 'field'; readonly of: GraphQLField<unknown, unknown> }
  | { readonly kind: 'input'; readonly of: GraphQLArgument | GraphQLInputField }
  | { readonly kind: 'enum'; readonly of: GraphQLEnumValue }
  | { readonly kind: 'directive'; readonly of: GraphQLDirective };

const types = (list: readonly GraphQLType[]): Element[] => list.map((of) => ({ kind: 'type', of }));
const inputs = (list: readonly (GraphQLArgument | GraphQLInputField)[]): Element[] => list.map((of) => ({ kind: 'input', of }));
const one = (e: Element | null): Element[] => (e ? [e] : []);

/** What `field` of `e` resolves to: the elements it selects from (empty for null), or 'leaf'. */
function resolve(schema: GraphQLSchema, e: Element, field: FieldNode, variables: Variables): Element[] | 'leaf' {
  const name = field.name.value;
  switch (e.kind) {
    case 'schema': {
      const s = e.of;
      if (name === 'types') return types(Object.values(s.getTypeMap()));
      if (name === 'directives') return s.getDirectives().map((of) => ({ kind: 'directive', of }));
      const root = name === 'queryType' ? s.getQueryType() : name === 'mutationType' ? s.getMutationType() : name === 'subscriptionType' ? s.getSubscriptionType() : undefined;
      if (root !== undefined) return one(root ? { kind: 'type', of: root } : null);
      return 'leaf';
    }
    case 'type': {
      const t = e.of;
      if (name === 'ofType') return one(isListType(t) || isNonNullType(t) ? { kind: 'type', of: t.ofType as GraphQLType } : null);
      if (name === 'fields') return isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()).map((of) => ({ kind: 'field', of })) : [];
      if (name === 'interfaces') return types(isObjectType(t) || isInterfaceType(t) ? t.getInterfaces() : []);
      if (name === 'possibleTypes') return types(isAbstractType(t) ? schema.getPossibleTypes(t) : []);
      if (name === 'enumValues') return isEnumType(t) ? t.getValues().map((of) => ({ kind: 'enum', of })) : [];
      if (name === 'inputFields') return inputs(isInputObjectType(t) ? Object.values(t.getFields()) : []);
      return 'leaf';
    }
    case 'field':
    case 'input':
      if (name === 'type') return one({ kind: 'type', of: e.of.type });
      if (name === 'args' && e.kind === 'field') return inputs(e.of.args);
      return 'leaf';
    case 'directive':
      return name === 'args' ? inputs(e.of.args) : 'leaf';
    case 'enum':
      return 'leaf';
  }
  return 'leaf';
}

/** The element a root introspection field starts from (`__schema`, `__type(name:)`); null when it resolves to null. */
function rootElement(schema: GraphQLSchema, field: FieldNode, variables: Variables): Element | null {
  if (field.name.value === '__schema') return { kind: 'schema', of: schema };
  const arg = field.arguments?.find((a) => a.name.value === 'name');
  const name = arg ? valueFromAST(arg.value, GraphQLString, variables as Record<string, unknown> | undefined) : undefined;
  const type = typeof name === 'string' ? schema.getType(name) : undefined;
  return type ? { kind: 'type', of: type } : null;
}

/**
 * The cost of the root introspection field `field` (`__schema` or `__type`), at most `cap`: 1 for the
 * field, plus 1 per field of every object it returns, at every level.
 */
export function introspectionCost(schema: GraphQLSchema, field: FieldNode, fragments: Fragments, variables: Variables, cap: number): number {
  const memo = new WeakMap<object, Map<SelectionSetNode, number>>();
  const costOf = (e: Element, set: SelectionSetNode, seen: ReadonlySet<string>): number => {
    const known = memo.get(e.of)?.get(set);
    if (known !== undefined) return known;
    let cost = 0;
    for (const sel of set.selections) {
      if (cost >= cap) break;
      if (sel.kind === Kind.FIELD) {
        cost += 1;
        const items = sel.selectionSet ? resolve(schema, e, sel, variables) : 'leaf';
        if (items === 'leaf' || !sel.selectionSet) continue;
        for (const item of items) {
          if (cost >= cap) break;
          cost += costOf(item, sel.selectionSet, seen);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        cost += costOf(e, sel.selectionSet, seen);
      } else {
        const frag = fragments(sel.name.value);
        if (frag && !seen.has(frag.name.value)) cost += costOf(e, frag.selectionSet, new Set([...seen, frag.name.value]));
      }
    }
    cost = Math.min(cost, cap);
    let bySet = memo.get(e.of);
    if (!bySet) memo.set(e.of, (bySet = new Map()));
    bySet.set(set, cost);
    return cost;
  };
  const root = rootElement(schema, field, variables);
  return Math.min(cap, 1 + (root && field.selectionSet ? costOf(root, field.selectionSet, new Set()) : 0));
}
