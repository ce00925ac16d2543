/** The depth and cost arithmetic of the limits rule (src/graphql/limits.ts), as docs/graphql.md states it. */
import { describe, expect, it } from 'vitest';
import type { OperationDefinitionNode } from 'graphql';
import { buildApiSchema } from '../../src/graphql/schema.js';
import { complexityOf } from '../../src/graphql/limits.js';
import { graphqlJs } from '../../src/graphql/graphql-js.js';

async function complexity(query: string, variables?: Record<string, unknown>) {
  const doc = graphqlJs.parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const frags = new Map(doc.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d] as const] : [])));
  return complexityOf(await buildApiSchema(), op, (n) => frags.get(n), variables);
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
  it('expands fragments and ignores __typename and introspection', async () => {
    expect(await complexity('{ changes(first: 2) { ...F } } fragment F on ChangeConnection { nodes { ... on Change { id __typename } } }')).toEqual({ depth: 3, cost: 5 });
    expect(await complexity('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }')).toEqual({ depth: 0, cost: 0 });
  });
});
