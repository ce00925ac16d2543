/**
 * The depth and cost arithmetic of the limits rule (src/graphql/limits.ts), as docs/graphql.md states it;
 * introspection priced exactly over the schema (src/graphql/introspection-cost.ts).
 */
import { describe, expect, it } from 'vitest';
import type { OperationDefinitionNode } from 'graphql';
import { buildApiSchema } from '../../src/graphql/schema.js';
import { complexityOf, costReadsVariables, DEFAULT_QUERY_LIMITS } from '../../src/graphql/limits.js';
import { graphqlJs } from '../../src/graphql/graphql-js.js';

function operationOf(query: string) {
  const doc = graphqlJs.parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const frags = new Map(doc.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d] as const] : [])));
  return { op, fragments: (n: string) => frags.get(n) };
}

async function complexity(query: string, variables?: Record<string, unknown>, cap?: number) {
  const { op, fragments } = operationOf(query);
  return complexityOf(await buildApiSchema(), op, fragments, variables, cap);
}

describe('query complexity', () => {
  it('multiplies what a connection selects by first', async () => {
    expect(await complexity('{ changes(first: 100) { edges { node { id actor { dbUser } } } } }')).toEqual({ depth: 5, cost: 501 });
    expect(await complexity('{ changes(first: 100) { nodes { id transaction { changes(first: 100) { nodes { id } } } } } }')).toEqual({ depth: 6, cost: 20_401 });
  });
  it('takes first from variables, and 20 when absent', async () => {
    expect(await complexity('query($n: Int) { changes(first: $n) { nodes { id } } }', { n: 3 })).toEqual({ depth: 3, cost: 7 });
    expect(await complexity('{ changes { nodes { id } } }')).toEqual({ depth: 3, cost: 41 });
  });
  it('expands fragments and charges __typename like any field', async () => {
    expect(await complexity('{ changes(first: 2) { ...F } } fragment F on ChangeConnection { nodes { ... on Change { id __typename } } }')).toEqual({ depth: 3, cost: 7 });
    expect(await complexity('{ changes(first: 100) { nodes { a: __typename b: __typename } } }')).toEqual({ depth: 2, cost: 301 });
  });
});

/** Fields in a result: every key of every object, at every level (a list of scalars is one field). */
function fieldsIn(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + fieldsIn(x), 0);
  if (v !== null && typeof v === 'object') return Object.values(v).reduce((n: number, x) => n + 1 + fieldsIn(x), 0);
  return 0;
}

describe('counting time', () => {
  it('is bounded by the limit, not by how far fragments expand, even where `first: 0` makes every field free', async () => {
    const frags = ['fragment F0 on Change { id }'];
    for (let i = 1; i <= 60; i++) frags.push(`fragment F${i} on Change { ...F${i - 1} ...F${i - 1} }`);
    const started = performance.now();
    expect(await complexity(`{ changes(first: 0) { nodes { ...F60 } } } ${frags.join(' ')}`, undefined, 50_001)).toEqual({ depth: 3, cost: 50_001 });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('introspection complexity', () => {
  const { getIntrospectionQuery, executeSync, parse } = graphqlJs;
  const queries: [string, string][] = [
    ['the standard introspection query', getIntrospectionQuery()],
    ["GraphiQL's, with every option", getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true })],
    ['__type with a name', '{ __type(name: "Change") { name fields { name args { name type { name ofType { name } } } } } }'],
    ['__type of an unknown name', '{ __type(name: "Nope") { name fields { name } } }'],
    ['fields of fields through ofType', '{ __schema { types { fields { type { ofType { fields { name type { ofType { ofType { fields { name } } } } } } } } } } }'],
    ['enum values, input fields, interfaces, possible types, directives', '{ __schema { types { enumValues { name } inputFields { name defaultValue } interfaces { name } possibleTypes { name } } directives { name locations args { name } } queryType { name } mutationType { name } } }'],
  ];
  it.each(queries)('costs exactly the fields it returns: %s', async (_what, query) => {
    const schema = await buildApiSchema();
    const result = executeSync({ schema, document: parse(query) });
    expect(result.errors).toBeUndefined();
    const c = await complexity(query);
    expect(c).toEqual({ depth: 0, cost: fieldsIn(result.data) });
    expect(c.cost).toBeGreaterThan(0);
  });

  it('the standard query fits the default limit; ten aliased copies of it cost ten times as much', async () => {
    const std = getIntrospectionQuery();
    const one = (await complexity(std)).cost;
    expect(one).toBeLessThan(DEFAULT_QUERY_LIMITS.maxCost / 5);
    const body = std.slice(std.indexOf('__schema'), std.indexOf('fragment FullType')).replace(/}\s*$/, '');
    const aliased = `query { ${Array.from({ length: 10 }, (_, i) => `a${i}: ${body}`).join(' ')} } ${std.slice(std.indexOf('fragment FullType'))}`;
    expect((await complexity(aliased)).cost).toBe(10 * one);
  });

  it('stops counting at the cap, quickly, however much a document would expand', async () => {
    // F40 holds F39 twice, F39 holds F38 twice …: 2^40 copies of `name` once fragments are expanded
    const frags = [`fragment F0 on __Type { name }`];
    for (let i = 1; i <= 40; i++) {
      frags.push(`fragment F${i} on __Type { a: fields { type { ofType { ofType { ...F${i - 1} } } } } b: fields { type { ofType { ofType { ...F${i - 1} } } } } }`);
    }
    const started = performance.now();
    const c = await complexity(`{ __schema { types { ...F40 } } } ${frags.join(' ')}`, undefined, 50_001);
    expect(c.cost).toBe(50_001);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  // The HTTP plugin caches the verdict of operations whose cost no variable can change (request-checks.ts).
  it('knows which operations a variable can make dearer: `first` from a variable, anywhere, or arguments of introspection', () => {
    const reads = (q: string) => {
      const { op, fragments } = operationOf(q);
      return costReadsVariables(op, fragments);
    };
    expect(reads('query($t: String!, $k: JSON!) { entityHistory(table: $t, key: $k, first: 20) { edges { node { id } } } }')).toBe(false);
    expect(reads('{ changes { nodes { id } } }')).toBe(false);
    expect(reads('query($n: Int) { changes(first: $n) { nodes { id } } }')).toBe(true);
    expect(reads('query($n: Int) { changes(first: 2) { ...F } } fragment F on ChangeConnection { nodes { transaction { changes(first: $n) { nodes { id } } } } }')).toBe(true);
    expect(reads('query($n: Int) { changes(first: 2) { ... on ChangeConnection { nodes { transaction { changes(first: $n) { nodes { id } } } } } } }')).toBe(true);
    expect(reads('query($t: String!) { __type(name: $t) { fields { name } } }')).toBe(true);
    expect(reads('query($d: Boolean) { __schema { types { fields(includeDeprecated: $d) { name } } } }')).toBe(true);
  });
});
