/** `Query.forwarders` (docs/siem.md "Lag"): admin and auditor read every forwarder's cursor and lag; analyst, siem and a role with a table scope are refused. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postGraphql, startTestApi, type TestApi } from './helpers.js';
import { mkChange, store } from './seed.js';
import { advanceForwarder, forwarderFailed, openForwarder } from '../../src/warehouse/queries/forwarders.js';
import { parsePolicy } from '../../src/policy/load-policy.js';

let t: TestApi;
const Q = '{ forwarders { name destination format role cursor ackedEvents lagEvents lastErrorCode } }';

beforeAll(async () => {
  t = await startTestApi();
  const r = await store(t.w, [1, 2, 3].map((id) => mkChange({ table: 'orders', key: { id }, before: null, after: { id }, operation: 'INSERT' })));
  await openForwarder(t.w.db, 'lake', 'file', 'ocsf', 'siem');
  await advanceForwarder(t.w.db, 'lake', r.seqs.change[0]!, 1);
  await forwarderFailed(t.w.db, 'lake', 'sending 2 events: disk full', 'FS_ENOSPC');
});
afterAll(async () => { await t?.close(); });

it.each(['admin', 'auditor'])('%s reads the forwarders, their cursor and lag, the error by code only', async (role) => {
  const api = await startTestApi({ warehouse: t.w, auth: { mode: 'none', role } });
  try {
    const r = await postGraphql<{ forwarders: unknown[] }>(api.url, Q);
    expect(r.errors).toBeUndefined();
    expect(r.data!.forwarders).toEqual([{ name: 'lake', destination: 'file', format: 'ocsf', role: 'siem', cursor: expect.any(String), ackedEvents: 1, lagEvents: 2, lastErrorCode: 'FS_ENOSPC' }]);
    expect(r.text).not.toContain('disk full');
  } finally {
    await api.api.close();
  }
});

it.each(['analyst', 'siem', 'scoped'])('%s is refused', async (role) => {
  const policy = parsePolicy({ roles: { scoped: { tables: ['shop.public.orders'], fields: ['Query.*'] } } }, null);
  const api = await startTestApi({ warehouse: t.w, auth: { mode: 'none', role }, policy });
  try {
    const r = await postGraphql(api.url, Q);
    expect(r.errors?.map((e) => e.extensions?.['code'])).toEqual(['AUDITQL_FORBIDDEN']);
  } finally {
    await api.api.close();
  }
});
