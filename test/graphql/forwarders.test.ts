/** `Query.forwarders` (docs/siem.md "Lag"): admin and auditor read every forwarder's cursor and lag; analyst, siem and a role with a table scope are refused; the lag is an upper bound that a running forwarder brings to 0. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postGraphql, startTestApi, type TestApi } from './helpers.js';
import { mkChange, store } from './seed.js';
import { advanceForwarder, forwarderFailed, openForwarder } from '../../src/warehouse/queries/forwarders.js';
import { BUILTIN_POLICY, parsePolicy } from '../../src/policy/load-policy.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeUntil } from '../helpers/until.js';
import { Forwarder } from '../../src/siem/forward/forwarder.js';
import { rotatedFile } from '../../src/siem/forward/rotated-file.js';
import { parseFilter } from '../../src/siem/forward/forward-filter.js';
import { roleView } from '../../src/policy/role-view.js';
import { silentLogger } from '../../src/log.js';

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

it('lagEvents is an upper bound: it counts events the filter leaves out, until the forwarder reads past them', async () => {
  const own = await startTestApi({ auth: { mode: 'none', role: 'admin' } });
  const dir = mkdtempSync(join(tmpdir(), 'auditql-lag-'));
  try {
    await store(own.w, [1, 2].map((id) => mkChange({ table: 'orders', key: { id }, before: null, after: { id }, operation: 'INSERT' })));
    const lag = async () => (await postGraphql<{ forwarders: { name: string; lagEvents: number; cursor: string }[] }>(own.url, '{ forwarders { name lagEvents cursor } }')).data!.forwarders;
    // A forwarder of activity only: the two changes are above its cursor, so they count, though it will never send them.
    await openForwarder(own.w.db, 'sessions', 'file', 'json', 'admin');
    expect(await lag()).toEqual([{ name: 'sessions', lagEvents: 2, cursor: '0' }]);
    const f = new Forwarder({
      name: 'sessions', db: own.w.db, destination: rotatedFile({ dir, name: 'sessions' }), destinationKind: 'file', format: 'json',
      filter: parseFilter(['kind=activity']), view: roleView(BUILTIN_POLICY, 'admin')!, log: silentLogger, flushMs: 20,
    });
    void f.start();
    try {
      const caught = await probeUntil('the forwarder reading past what it does not send', lag, (rows) => rows[0]!.lagEvents === 0);
      expect(caught[0]!.cursor).not.toBe('0');
    } finally {
      await f.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await own.close();
  }
});
