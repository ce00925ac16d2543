/** `Change.ocsf` / `.ecs` and `Activity.ocsf` / `.ecs` over HTTP and in `changeAdded` over graphql-ws. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphql, startTestApi, type TestApi } from './helpers.js';
import { attribute, mkActivity, mkChange, store, storeEach } from './seed.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { validateOcsf } from '../helpers/ocsf-validate.js';
import { validateEcs } from '../helpers/ecs-validate.js';

let t: TestApi;
let changeSeq: string;

beforeAll(async () => {
  t = await startTestApi();
  [changeSeq] = await storeEach(t.w, [mkChange({ table: 'accounts', key: { id: 7 }, before: { id: 7, email: 'a@x', note: null }, after: { id: 7, email: 'b@x', note: null } })]);
  await attribute(t.w, changeSeq!, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: 'alice@example.com' });
  await attribute(t.w, changeSeq!, { evidence: 'ACTIVITY_TX', confidence: 'EXACT', dbUser: 'app_rw', remoteHost: '10.0.0.9', clientApplication: 'billing' });
  await store(t.w, [mkActivity({ class: 'AUTH_FAILURE', command: 'LOGIN FAILED', dbUser: 'mallory', exitCode: '28P01', errorMessage: 'password authentication failed' })]);
});
afterAll(async () => { await t?.close(); });

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('Change.ocsf and Change.ecs', () => {
  it('map the change with its actor and field changes', async () => {
    const r = await postGraphql<{ entityHistory: { edges: { cursor: string; node: { ocsf: Obj; ecs: Obj } }[] } }>(t.url,
      '{ entityHistory(table: "accounts", key: {id: 7}) { edges { cursor node { ocsf ecs } } } }');
    expect(r.errors).toBeUndefined();
    const { cursor, node } = r.data!.entityHistory.edges[0]!;
    expect(validateOcsf(node.ocsf).problems).toEqual([]);
    expect(node.ocsf).toMatchObject({
      class_uid: 6005, activity_id: 2, type_uid: 600502, metadata: { uid: cursor, version: '1.3.0', product: { name: 'auditql' } },
      actor: { user: { name: 'alice@example.com', account: { name: 'app_rw' } }, app_name: 'billing' },
      src_endpoint: { ip: '10.0.0.9' },
      table: { name: 'public.accounts' },
    });
    expect(node.ocsf.unmapped.auditql).toMatchObject({
      before: { id: 7, email: 'a@x', note: null },
      after: { id: 7, email: 'b@x', note: null },
      field_changes: [{ field: 'email', old_value: 'a@x', new_value: 'b@x' }],
      actor: { attributed: true, evidence: ['APP_CONTEXT', 'ACTIVITY_TX'] },
    });
    expect(validateEcs(node.ecs)).toEqual([]);
    expect(node.ecs).toMatchObject({ event: { id: cursor, category: ['database'], type: ['change'], outcome: 'success' }, user: { name: 'alice@example.com', effective: { name: 'app_rw' } } });
  });
});

describe('Activity.ocsf and Activity.ecs', () => {
  it('map a failed login to Authentication and an ECS authentication failure', async () => {
    const r = await postGraphql<{ activityByUser: { nodes: { cursor: string; ocsf: Obj; ecs: Obj }[] } }>(t.url,
      '{ activityByUser(user: "mallory") { nodes { cursor ocsf ecs } } }');
    expect(r.errors).toBeUndefined();
    const a = r.data!.activityByUser.nodes[0]!;
    expect(validateOcsf(a.ocsf).problems).toEqual([]);
    expect(a.ocsf).toMatchObject({ class_uid: 3002, activity_id: 1, status_id: 2, status_code: '28P01', status_detail: 'password authentication failed', user: { name: 'mallory' }, metadata: { uid: a.cursor } });
    expect(validateEcs(a.ecs)).toEqual([]);
    expect(a.ecs).toMatchObject({ event: { category: ['authentication'], type: ['start'], outcome: 'failure' }, user: { name: 'mallory' } });
  });
});

describe('masked by the caller\'s role', () => {
  it('analyst: ocsf and ecs carry the masked row images and the statement digest, never the values', async () => {
    await store(t.w, [mkActivity({ dbUser: 'masking', commandText: "select * from accounts where email = 'lit@x.example'", parameters: ['param@x.example'] })]);
    const analyst = await startTestApi({ warehouse: t.w, auth: { mode: 'none', role: 'analyst' } });
    try {
      const r = await postGraphql<{ entityHistory: { nodes: { ocsf: Obj; ecs: Obj }[] }; activityByUser: { nodes: { ocsf: Obj; ecs: Obj }[] } }>(analyst.url,
        '{ entityHistory(table: "accounts", key: {id: 7}) { nodes { ocsf ecs } } activityByUser(user: "masking") { nodes { ocsf ecs } } }');
      expect(r.errors).toBeUndefined();
      for (const v of ['a@x', 'b@x', 'lit@x.example', 'param@x.example']) expect(r.text).not.toContain(`"${v}"`);
      expect(r.text).not.toContain('lit@x.example');
      expect(r.text).not.toContain('alice@example.com'); // appContext: redact reaches the mappings too
      const change = r.data!.entityHistory.nodes[0]!;
      expect(change.ocsf.actor.user).toMatchObject({ name: 'app_rw' });
      expect(change.ecs.user.name).toBe('app_rw');
      expect(change.ocsf.unmapped.auditql.after).toEqual({ id: 7, email: { $masked: 'redact' }, note: null });
      expect(change.ecs.auditql.after.email).toEqual({ $masked: 'redact' });
      const a = r.data!.activityByUser.nodes[0]!;
      expect(a.ocsf.query_info.query_string).toBe('select * from accounts where email = ?');
      expect(a.ocsf.unmapped.auditql.parameters).toBeUndefined();
    } finally {
      await analyst.api.close();
    }
  });
});

describe('changeAdded { ocsf }', () => {
  it('delivers ready-to-index OCSF events to a subscriber', async () => {
    const { client } = connect(t.url);
    const s = subscribe<{ changeAdded: { cursor: string; ocsf: Obj } }>(client, 'subscription { changeAdded(filter: {table: "live_siem"}) { cursor ocsf } }');
    // "now" is when the server handles the subscribe: write until a row arrives
    await until('a change on the subscription', async () => {
      if (s.results.length === 0) await store(t.w, [mkChange({ table: 'live_siem', operation: 'INSERT', key: { id: 1 }, before: null, after: { id: 1 } })]);
      return s.results.length > 0;
    });
    const m = s.results[0]!.data!.changeAdded;
    expect(m.ocsf).toMatchObject({ class_uid: 6005, activity_id: 6, metadata: { uid: m.cursor }, actor: { user: { type_id: 0 } } });
    expect(validateOcsf(m.ocsf).problems).toEqual([]);
    s.dispose();
    await client.dispose();
  });
});
