/** Error masking, stable codes, depth and cost limits (introspection included), and introspection off. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery } from 'graphql';
import { countingWarehouse, memoryLogger, postGraphql, startTestApi, type TestApi } from './helpers.js';
import { attribute, mkChange, storeEach } from './seed.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { openWarehouse } from '../../src/warehouse/db.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';

const SECRET = 'SSN-987-65-4320';
let t: TestApi;
const log = memoryLogger();
let changeSeq: string;

beforeAll(async () => {
  t = await startTestApi({ log });
  [changeSeq] = await storeEach(t.w, [mkChange({ key: { id: 1 }, before: { id: 1, ssn: 'old' }, after: { id: 1, ssn: SECRET } })]) as [string];
});
afterAll(async () => {
  await t?.close();
});

const HISTORY_ACTOR = `{ entityHistory(table: "customers", key: {id: 1}) { edges { node { id after actor { dbUser evidence { source } } } } } }`;

describe('error masking', () => {
  it('masks a failing SQL statement: the client gets AUDITQL_INTERNAL and a correlation id, the log gets the rest', async () => {
    await t.w.pool.query('ALTER TABLE auditql.attributions RENAME TO attributions_moved');
    try {
      const r = await postGraphql<{ entityHistory: unknown }>(t.url, HISTORY_ACTOR);
      const err = r.errors?.[0];
      expect(err?.extensions).toMatchObject({ code: 'AUDITQL_INTERNAL', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(err?.path).toEqual(['entityHistory', 'edges', 0, 'node', 'actor']);
      for (const leak of ['attributions', 'relation "', 'select', 'SELECT', 'does not exist', 'stacktrace', 'auditql.', 'at ']) {
        expect(JSON.stringify(r.errors)).not.toContain(leak);
      }
      const id = err!.extensions!.correlationId as string;
      const line = log.lines.find((l) => l.includes(id));
      expect(line).toMatch(/relation "auditql\.attributions" does not exist/);
    } finally {
      await t.w.pool.query('ALTER TABLE auditql.attributions_moved RENAME TO attributions');
    }
  });

  it('masks errors that would carry row values', async () => {
    // a value no enum can represent: graphql-js would quote it in its message
    await attribute(t.w, changeSeq, { evidence: SECRET as 'SOURCE', confidence: 'EXACT', dbUser: 'x' });
    const r = await postGraphql(t.url, HISTORY_ACTOR);
    expect(r.errors?.[0]?.extensions?.code).toBe('AUDITQL_INTERNAL');
    const errorsOnly = JSON.stringify(r.errors);
    expect(errorsOnly).not.toContain(SECRET);
    expect(errorsOnly).not.toContain('EvidenceSource');
    expect(log.lines.some((l) => l.includes(SECRET))).toBe(true);
    await t.w.pool.query('DELETE FROM auditql.attributions WHERE evidence = $1', [SECRET]);
  });

  it('passes known errors with their stable code and message', async () => {
    const r = await postGraphql(t.url, `{ changes(after: "nope") { edges { cursor } } }`);
    expect(r.errors).toEqual([
      { message: expect.stringContaining('cursor'), locations: [{ line: 1, column: 3 }], path: ['changes'], extensions: { code: 'AUDITQL_BAD_CURSOR' } },
    ]);
    const k = await postGraphql(t.url, `{ entityHistory(table: "customers", key: [1]) { edges { cursor } } }`);
    expect(k.errors?.[0]?.extensions).toEqual({ code: 'AUDITQL_BAD_KEY' });
  });

  it('reports the warehouse being down as AUDITQL_WAREHOUSE_UNAVAILABLE without details', async () => {
    const down = openWarehouse('postgres://auditql:secret-password@127.0.0.1:1/nowhere');
    const api2 = await startApiServer({ warehouse: down, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', log: memoryLogger() });
    try {
      const r = await postGraphql(api2.url, `{ changes { edges { cursor } } }`);
      expect(r.errors?.[0]?.extensions).toEqual({ code: 'AUDITQL_WAREHOUSE_UNAVAILABLE', correlationId: expect.any(String) });
      expect(r.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|secret-password/);
      const health = await fetch(api2.url.replace('/graphql', '/healthz'));
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'unavailable', warehouse: 'unreachable' });
    } finally {
      await api2.close();
      await down.close();
    }
  });
});

describe('query limits', () => {
  let w: TestWarehouse;
  let counted: ReturnType<typeof countingWarehouse>;
  let api: ApiServer;
  beforeAll(async () => {
    w = await freshWarehouse();
    counted = countingWarehouse(w.url);
    api = await startApiServer({ warehouse: counted, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', limits: { maxDepth: 8, maxCost: 5000 } });
  });
  afterAll(async () => {
    await api?.close();
    await counted?.close();
    await w?.destroy();
  });

  const nested = (levels: number) => {
    let inner = 'id';
    for (let i = 0; i < levels; i++) inner = `transaction { changes(first: 2) { nodes { ${inner} } } }`;
    return `{ changes(first: 2) { nodes { ${inner} } } }`;
  };

  it('rejects a query nested too deep before any SQL runs', async () => {
    counted.statements.length = 0;
    const r = await postGraphql(api.url, nested(3));
    expect(r.status).toBe(400);
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'AUDITQL_QUERY_TOO_COMPLEX' }, message: expect.stringContaining('deep') });
    expect(counted.statements).toEqual([]);
  });

  it('counts depth through fragments', async () => {
    const q = `query { changes(first: 1) { ...A } }
      fragment A on ChangeConnection { nodes { transaction { changes(first: 1) { ...B } } } }
      fragment B on ChangeConnection { nodes { transaction { changes(first: 1) { nodes { transaction { id } } } } } }`;
    const r = await postGraphql(api.url, q);
    expect(r.errors?.[0]?.extensions?.code).toBe('AUDITQL_QUERY_TOO_COMPLEX');
  });

  it('rejects a query that would fetch too much, with first taken from variables', async () => {
    const q = `query($n: Int) { changes(first: $n) { nodes { id transaction { changes(first: $n) { nodes { id table key } } } } } }`;
    counted.statements.length = 0;
    const big = await postGraphql(api.url, q, { n: 100 });
    expect(big.status).toBe(400);
    expect(big.errors?.[0]).toMatchObject({ extensions: { code: 'AUDITQL_QUERY_TOO_COMPLEX' }, message: expect.stringContaining('more than 5000 fields') });
    expect(counted.statements).toEqual([]);
    const small = await postGraphql<{ changes: unknown }>(api.url, q, { n: 10 });
    expect(small.errors).toBeUndefined();
    expect(small.status).toBe(200);
    // The same document again: its verdict depends on the variables, so it is not remembered.
    expect((await postGraphql(api.url, q, { n: 100 })).status).toBe(400);
  });

  it('refuses an operation over the limits on every request, whatever its other variables', async () => {
    const q = `query($t: String!) { whoChanged(table: $t, first: 100) { nodes { id transaction { changes(first: 100) { nodes { id table key } } } } } }`;
    for (const t of ['customers', 'orders', 'customers']) {
      counted.statements.length = 0;
      const r = await postGraphql(api.url, q, { t });
      expect(r.status).toBe(400);
      expect(r.errors?.[0]?.extensions?.code).toBe('AUDITQL_QUERY_TOO_COMPLEX');
      expect(counted.statements).toEqual([]);
    }
  });

  it('lets an ordinary query through', async () => {
    const r = await postGraphql(api.url, nested(1));
    expect(r.errors).toBeUndefined();
  });
});

describe('introspection', () => {
  it('is on by default', async () => {
    const r = await postGraphql<{ __schema: { queryType: { name: string } } }>(t.url, `{ __schema { queryType { name } } }`);
    expect(r.data?.__schema.queryType.name).toBe('Query');
  });

  // What GraphiQL (@graphiql/react) and codegen send.
  const STANDARD = getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true });
  const aliased = (copies: number) => {
    const selection = STANDARD.slice(STANDARD.indexOf('__schema'), STANDARD.indexOf('fragment FullType')).replace(/}\s*$/, '');
    return `query { ${Array.from({ length: copies }, (_, i) => `a${i}: ${selection}`).join(' ')} } ${STANDARD.slice(STANDARD.indexOf('fragment FullType'))}`;
  };

  it('answers the standard introspection query under the default limits, and under tighter ones', async () => {
    const r = await postGraphql<{ __schema: { types: { name: string }[] } }>(t.url, STANDARD);
    expect(r.errors).toBeUndefined();
    expect(r.data?.__schema.types.map((x) => x.name)).toContain('Change');
    const tight = await startTestApi({ limits: { maxCost: 5000 } });
    try {
      const again = await postGraphql(tight.url, STANDARD);
      expect(again.errors).toBeUndefined();
      expect(again.text).toBe(r.text);
    } finally {
      await tight.close();
    }
  });

  it('refuses the standard query under many aliases, before running it, with a small answer', async () => {
    const r = await postGraphql(t.url, aliased(20));
    expect(r.status).toBe(400);
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'AUDITQL_QUERY_TOO_COMPLEX' }, message: expect.stringContaining('more than 50000 fields') });
    expect(r.data).toBeUndefined();
    expect(r.text.length).toBeLessThan(1000);
    // a few copies are an ordinary (if odd) request
    const two = await postGraphql<Record<string, unknown>>(t.url, aliased(2));
    expect(two.errors).toBeUndefined();
    expect(Object.keys(two.data!)).toEqual(['a0', 'a1']);
  });

  it('refuses introspection nested through types and fields under aliases, fragments that expand exponentially, and __typename under aliases', async () => {
    // fields of the types of fields, twice over (graphql-js's own rule refuses a third level), under aliases
    const nested = 'fields { name description type { ofType { ofType { fields { name description type { name ofType { name } } } } } } }';
    const once = await postGraphql(t.url, `{ __schema { types { ${nested} } } }`);
    expect(once.errors).toBeUndefined();
    const deep = await postGraphql(t.url, `{ __schema { types { ${Array.from({ length: 60 }, (_, i) => `a${i}: ${nested}`).join(' ')} } } }`);
    expect(deep.status).toBe(400);
    expect(deep.errors?.[0]?.extensions?.code, deep.text).toBe('AUDITQL_QUERY_TOO_COMPLEX');
    // 2^40 fields once expanded: priced in bounded time, not walked to the end
    const frags = ['fragment F0 on Change { id }'];
    for (let i = 1; i <= 40; i++) frags.push(`fragment F${i} on Change { ...F${i - 1} ...F${i - 1} }`);
    const expo = await postGraphql(t.url, `{ changes(first: 0) { nodes { ...F40 } } } ${frags.join(' ')}`);
    expect(expo.status).toBe(400);
    expect(expo.errors?.[0]?.extensions?.code).toBe('AUDITQL_QUERY_TOO_COMPLEX');
    const typenames = await postGraphql(t.url, `{ changes(first: 500) { nodes { ${Array.from({ length: 200 }, (_, i) => `t${i}: __typename`).join(' ')} } } }`);
    expect(typenames.errors?.[0]?.extensions?.code).toBe('AUDITQL_QUERY_TOO_COMPLEX');
  });

  it('can be turned off, and then field suggestions do not leak the schema either', async () => {
    const off = await startTestApi({ introspection: false });
    try {
      const r = await postGraphql(off.url, `{ __schema { types { name } } }`);
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await postGraphql(off.url, `{ entityHistry(table: "t", key: {id: 1}) { edges { cursor } } }`);
      expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
      const fine = await postGraphql(off.url, `{ changes { edges { cursor } } }`);
      expect(fine.errors).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
