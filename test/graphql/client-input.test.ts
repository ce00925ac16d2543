/**
 * Client mistakes that used to reach execution or SQL and fail there as AUDITQL_INTERNAL: a mutation
 * (the API has none) and a NUL character (U+0000, which PostgreSQL text cannot hold) in any argument —
 * literal or variable, scalar, list or JSON — over HTTP and graphql-ws. Each is refused before anything
 * runs with a client code that names the argument, never echoing its value, and nothing is logged as an
 * internal error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { countingWarehouse, memoryLogger, postGraphql } from './helpers.js';
import { mkChange, storeEach } from './seed.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';

const NUL = '\u0000';
const MARK = 'secret-marker';
let w: TestWarehouse;
let counted: ReturnType<typeof countingWarehouse>;
let api: ApiServer;
const log = memoryLogger();
const clients: Client[] = [];

beforeAll(async () => {
  w = await freshWarehouse();
  await storeEach(w, [mkChange({ key: { id: 1 }, after: { id: 1 } })]);
  counted = countingWarehouse(w.url);
  // No access audit: its batched writes (in the background, a transaction each) would be counted as the requests' SQL.
  api = await startApiServer({ auth: { mode: 'none' }, warehouse: counted, port: 0, host: '127.0.0.1', log, accessAudit: false });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await api?.close();
  await counted?.close();
  await w?.destroy();
});

/** Posts `query`, expects one refusal with `code` before any SQL, and returns its message. */
async function refused(query: string, variables: Record<string, unknown> | undefined, code: string): Promise<string> {
  counted.statements.length = 0;
  const before = log.lines.length;
  const r = await postGraphql(api.url, query, variables);
  expect(r.status, r.text).toBe(400);
  expect(r.data ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  expect(r.errors![0]!.extensions).toEqual({ code });
  expect(r.text).not.toContain(MARK);
  expect(counted.statements).toEqual([]);
  expect(log.lines.slice(before).filter((l) => l.startsWith('error'))).toEqual([]);
  return r.errors![0]!.message;
}

describe('a mutation', () => {
  it('is AUDITQL_BAD_INPUT: the API is read-only', async () => {
    expect(await refused('mutation { changes { edges { cursor } } }', undefined, 'AUDITQL_BAD_INPUT')).toMatch(/read-only.*no mutations/);
    expect(await refused('mutation Named { x }', undefined, 'AUDITQL_BAD_INPUT')).toMatch(/no mutations/);
  });

  it('does not stop a query in the same document from running', async () => {
    const r = await postGraphql<{ changes: { edges: unknown[] } }>(api.url, 'mutation M { x } query Q { changes { edges { cursor } } }', undefined);
    expect(r.status).toBe(400); // several operations, no operationName: refused by graphql-js, not masked
    expect(r.errors?.[0]?.extensions?.code).not.toBe('AUDITQL_INTERNAL');
    const q = await fetch(api.url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation M { x } query Q { changes { edges { cursor } } }', operationName: 'Q' }),
    });
    expect(((await q.json()) as { data: { changes: { edges: unknown[] } } }).data.changes.edges).toHaveLength(1);
  });
});

describe('a NUL character in an argument', () => {
  it('in `key` is AUDITQL_BAD_KEY, as a literal, a variable, a column name or a nested value', async () => {
    const lit = `{ entityHistory(table: "customers", key: {id: "${MARK}\\u0000"}) { edges { cursor } } }`;
    expect(await refused(lit, undefined, 'AUDITQL_BAD_KEY')).toMatch(/`key` contains a NUL character/);
    const q = 'query($k: JSON!) { entityHistory(table: "customers", key: $k) { edges { cursor } } }';
    await refused(q, { k: { id: `${MARK}${NUL}` } }, 'AUDITQL_BAD_KEY');
    await refused(q, { k: { [`i${NUL}d`]: 1 } }, 'AUDITQL_BAD_KEY');
    await refused('query($k: JSON) { whoChanged(table: "customers", key: $k) { edges { cursor } } }', { k: { id: 1, x: [`${NUL}`] } }, 'AUDITQL_BAD_KEY');
    await refused('query($k: JSON!) { entityAt(table: "customers", key: $k, at: "2030-01-01T00:00:00Z") }', { k: { id: NUL } }, 'AUDITQL_BAD_KEY');
  });

  const cases: [string, string, Record<string, unknown>][] = [
    ['table', 'query($v: String!) { entityHistory(table: $v, key: {id: 1}) { edges { cursor } } }', {}],
    ['database', 'query($v: String) { entityHistory(table: "customers", key: {id: 1}, database: $v) { edges { cursor } } }', {}],
    ['user', 'query($v: String) { whoChanged(table: "customers", user: $v) { edges { cursor } } }', {}],
    ['field', 'query($v: String) { whoChanged(table: "customers", field: $v) { edges { cursor } } }', {}],
    ['user', 'query($v: String!) { activityByUser(user: $v) { edges { cursor } } }', {}],
    ['id', 'query($v: String!) { transaction(id: $v) { id } }', {}],
    ['server', 'query($v: String) { unattributedChanges(server: $v) { edges { cursor } } }', {}],
    ['table', 'query($v: String) { attributionCoverage(table: $v) { exact } }', {}],
    ['at', 'query($v: String!) { entityAt(table: "customers", key: {id: 1}, at: "2030-01-01T00:00:00Z", schema: $v) }', {}],
  ];
  it.each(cases)('in `%s` is AUDITQL_BAD_INPUT naming it, never the value', async (arg, query) => {
    const name = arg === 'at' ? 'schema' : arg;
    expect(await refused(query, { v: `${MARK}${NUL}` }, 'AUDITQL_BAD_INPUT')).toBe(
      `argument \`${name}\` contains a NUL character (U+0000), which no stored value can hold`,
    );
  });

  it('in a filter field, a list item or a default value is AUDITQL_BAD_INPUT', async () => {
    expect(await refused(`{ changes(filter: {table: "customers", actor: "${MARK}\\u0000"}) { edges { cursor } } }`, undefined, 'AUDITQL_BAD_INPUT'))
      .toMatch(/^argument `filter.actor` contains/);
    expect(await refused('query($f: ActivityFilter) { activity(filter: $f) { edges { cursor } } }', { f: { commands: ['SELECT', `${MARK}${NUL}`] } }, 'AUDITQL_BAD_INPUT'))
      .toMatch(/^argument `filter.commands` contains/);
    expect(await refused('{ activityByUser(user: "u", classes: ["READ", "x\\u0000"]) { edges { cursor } } }', undefined, 'AUDITQL_BAD_INPUT'))
      .toMatch(/^argument `classes` contains/);
    await refused(`query($u: String = "${MARK}\\u0000") { whoChanged(table: "customers", user: $u) { edges { cursor } } }`, undefined, 'AUDITQL_BAD_INPUT');
  });

  it('leaves ordinary and extreme-but-valid arguments alone', async () => {
    const r = await postGraphql<{ entityHistory: { edges: unknown[] } }>(api.url, '{ entityHistory(table: "customers", key: {id: "1"}) { edges { cursor } } }');
    expect(r.data?.entityHistory.edges).toHaveLength(1);
    for (const at of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999+14:00', '0001-01-01T00:00:00-14:00']) {
      const e = await postGraphql(api.url, 'query($at: DateTime!) { entityAt(table: "customers", key: {id: 1}, at: $at) whoChanged(table: "customers", since: $at, until: $at) { edges { cursor } } }', { at });
      expect(e.errors, e.text).toBeUndefined();
    }
    expect(log.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('over graphql-ws is AUDITQL_BAD_INPUT too', async () => {
    const { client } = connect(api.url);
    clients.push(client);
    const s = subscribe(client, 'subscription($t: String) { changeAdded(filter: {table: $t}) { id } }', { t: `${MARK}${NUL}` });
    await until('the refusal', () => s.errors.length > 0);
    expect(s.errors[0]).toEqual([expect.objectContaining({ message: expect.stringContaining('`filter.table` contains a NUL'), extensions: { code: 'AUDITQL_BAD_INPUT' } })]);
    expect(JSON.stringify(s.errors)).not.toContain(MARK);
  });
});
