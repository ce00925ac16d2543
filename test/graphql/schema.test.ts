/**
 * The schema as checked in: schema/schema.graphql must be what the code builds (run `npm run schema`),
 * test/graphql/generated.ts what codegen makes of it (`npm run codegen`), the pinned contract of
 * docs/graphql.md "The pinned contract" must be there exactly, and GraphiQL's example queries must validate against it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApiSchema, printApiSchema } from '../../src/graphql/schema.js';
import { SCHEMA_FILE } from '../../src/graphql/emit-schema.js';
import { packageRoot } from '../../src/package-root.js';
import { graphqlJs } from '../../src/graphql/graphql-js.js';

const root = packageRoot();

describe('schema/schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema` after changing the API)', async () => {
    const built = printApiSchema(await buildApiSchema());
    const checkedIn = readFileSync(join(root, SCHEMA_FILE), 'utf8');
    expect(checkedIn, 'schema/schema.graphql is stale: run `npm run schema` and commit it').toBe(built);
  });

  it('has the pinned contract of docs/graphql.md, names and argument types exactly', async () => {
    const schema = await buildApiSchema();
    const query = schema.getQueryType()!.getFields();
    // The pinned arguments with their exact types; more may be added (docs/graphql.md: "more may be added"), but
    // only optional ones, so existing clients keep working. Arguments are named: their order is no part of it.
    const pinned = (signature: string) => {
      const m = /^(\w+)\((.*)\): (.+)$/.exec(signature)!;
      const f = query[m[1]!];
      expect(f, m[1]).toBeDefined();
      expect(String(f!.type), `${m[1]} returns`).toBe(m[3]);
      const want = new Map(m[2]!.split(', ').map((a) => a.split(': ') as [string, string]));
      for (const [name, type] of want) expect(String(f!.args.find((a) => a.name === name)?.type), `${m[1]}(${name})`).toBe(type);
      for (const extra of f!.args.filter((a) => !want.has(a.name))) expect(String(extra.type), `${m[1]}(${extra.name}) must be optional`).not.toMatch(/!$/);
    };
    pinned('entityHistory(table: String!, key: JSON!, database: String, schema: String, first: Int, after: String): ChangeConnection!');
    pinned('whoChanged(table: String!, key: JSON, field: String, since: DateTime, until: DateTime, first: Int, after: String): ChangeConnection!');
    pinned('activityByUser(user: String!, since: DateTime, until: DateTime, classes: [String!], first: Int, after: String): ActivityConnection!');
    pinned('entityAt(table: String!, key: JSON!, at: DateTime!, database: String, schema: String): JSON');
    pinned('transaction(id: String!): Transaction');
    const fields = (type: string) => Object.keys((schema.getType(type) as import('graphql').GraphQLObjectType).getFields());
    expect(fields('Change')).toEqual(expect.arrayContaining(
      ['id', 'cursor', 'operation', 'committedAt', 'database', 'schema', 'table', 'key', 'before', 'after', 'beforeComplete', 'fieldChanges', 'transaction', 'actor']));
    expect(fields('FieldChange')).toEqual(expect.arrayContaining(['field', 'oldValue', 'newValue', 'oldValueKnown', 'newValueKnown']));
    expect(fields('Actor')).toEqual(expect.arrayContaining(['dbUser', 'appUser', 'remoteHost', 'clientApplication', 'evidence']));
    expect(fields('Activity')).toEqual(expect.arrayContaining([
      'id', 'cursor', 'class', 'command', 'commandText', 'objectType', 'objectName', 'database', 'dbUser', 'remoteHost', 'clientApplication',
      'sessionId', 'rowCount', 'exitCode', 'errorMessage', 'occurredAt', 'transactionId']));
    expect(fields('Transaction')).toEqual(expect.arrayContaining(['id', 'changes', 'activity', 'context']));
    expect(fields('ChangeConnection')).toEqual(expect.arrayContaining(['edges', 'pageInfo']));
    expect(fields('PageInfo')).toEqual(expect.arrayContaining(['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor']));
    expect(schema.getType('ChangeFilter')).toBeDefined();
    expect(schema.getType('ActivityFilter')).toBeDefined();
  });
});

describe('test/graphql/generated.ts', () => {
  it('is what `npm run codegen` makes of the checked-in schema and operations', async () => {
    const { generate, loadCodegenConfig } = await import('@graphql-codegen/cli');
    const { config } = await loadCodegenConfig({ configFilePath: join(root, 'codegen.yml') });
    const files = (await generate({ ...config, cwd: root, silent: true }, false)) as { filename: string; content: string }[];
    expect(files).toHaveLength(1);
    const checkedIn = readFileSync(join(root, 'test/graphql/generated.ts'), 'utf8');
    expect(checkedIn, 'test/graphql/generated.ts is stale: run `npm run codegen` and commit it').toBe(files[0]!.content);
  }, 60_000);
});

describe('GraphiQL examples', () => {
  it('validate against the schema', async () => {
    const { examples } = await import('../../src/graphql/examples.js');
    const schema = await buildApiSchema();
    for (const e of examples(new Date('2026-11-20T12:00:00Z'))) {
      const errors = graphqlJs.validate(schema, graphqlJs.parse(e.query));
      expect(errors.map((x) => x.message), e.title).toEqual([]);
    }
  });
});
