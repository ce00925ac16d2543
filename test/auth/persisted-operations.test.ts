/**
 * Which documents a role may send (docs/security.md "Persisted operations"): a role without `adHoc` may
 * not introspect; a role with `operations` sends only the documents whose SHA-256 is listed — over HTTP
 * and graphql-ws, refused with AUDITQL_OPERATION_NOT_ALLOWED before anything runs, and recorded so.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/graphql/server.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { postGraphql } from '../graphql/helpers.js';
import { roleKeys, startWithKeys } from './role-keys.js';

const DOC = 'query Recent { changes(first: 10) { nodes { id table } } }';
const SUB = 'subscription Live { changeAdded { id } }';
const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const policy = parsePolicy({ roles: { frontend: { adHoc: false, operations: [sha(DOC), sha(SUB)] } } }, null);
const INTROSPECT = '{ __schema { queryType { name } } }';

let w: TestWarehouse;
let api: ApiServer;
let keys: Record<string, string> = {};
const as = (role: string) => ({ authorization: `Bearer ${keys[role]}` });
const outcome = async (role: string, query: string) => {
  const r = await postGraphql(api.url, query, undefined, as(role));
  return [r.status, ...(r.errors?.map((e) => e.extensions?.['code']) ?? [])];
};

beforeAll(async () => {
  w = await freshWarehouse();
  keys = await roleKeys(w, ['frontend', 'siem', 'analyst']);
  api = await startWithKeys(w, policy);
});

afterAll(async () => {
  await api?.close();
  await w?.destroy();
});

describe('persisted operations and ad-hoc queries', () => {
  it('introspection only for roles allowed ad-hoc queries', async () => {
    expect(await outcome('analyst', INTROSPECT)).toEqual([200]);
    expect(await outcome('siem', INTROSPECT)).toEqual([403, 'AUDITQL_OPERATION_NOT_ALLOWED']);
    expect(await outcome('siem', '{ activity(first: 1) { nodes { __typename id } } }')).toEqual([200]); // no allow-list: its own documents pass
    expect(await outcome('siem', 'query { ...F } fragment F on Query { __type(name: "Change") { name } }')).toEqual([403, 'AUDITQL_OPERATION_NOT_ALLOWED']);
  });

  it('a role with an allow-list sends only the listed documents, byte for byte', async () => {
    expect(await outcome('frontend', DOC)).toEqual([200]);
    expect(await outcome('frontend', `${DOC} `)).toEqual([403, 'AUDITQL_OPERATION_NOT_ALLOWED']);
    expect(await outcome('frontend', '{ changes { nodes { id before after } } }')).toEqual([403, 'AUDITQL_OPERATION_NOT_ALLOWED']);
    await until('the refusals recorded', async () => (await w.pool.query(
      "SELECT 1 FROM auditql.api_access WHERE principal = 'frontend-key' AND decision = 'refused' AND reason = 'operation_not_allowed'")).rowCount === 2);
  });

  it('over graphql-ws too', async () => {
    const { client } = connect(api.url, { connectionParams: as('frontend') });
    const listed = subscribe(client, SUB);
    const other = subscribe(client, 'subscription { changeAdded { id before } }');
    await until('the other refused', () => other.errors.length > 0);
    expect(JSON.stringify(other.errors)).toContain('AUDITQL_OPERATION_NOT_ALLOWED');
    expect(listed.errors).toEqual([]);
    await client.dispose();
  });

  it('the policy file is validated naming the key', () => {
    expect(() => parsePolicy({ roles: { x: { operations: ['md5:abc'] } } }, null)).toThrow(/roles\.x\.operations\[0\]/);
    expect(() => parsePolicy({ roles: { x: { adHoc: 'yes' } } }, null)).toThrow(/roles\.x\.adHoc/);
  });
});
