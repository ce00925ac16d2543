/**
 * The role matrix (docs/security.md "Policy file and roles"): a warehouse whose rows hold distinctive secrets
 * (emails, an SSN and card numbers in before/after images and in a key; a statement with a literal email,
 * bind parameters and an error detail), read by every Query field and by `changeAdded` / `activityAdded`
 * as admin, auditor, analyst, siem and a custom role from a policy file. Each role's answers are asserted
 * exactly, and no masked secret may appear anywhere in the bytes the server sent — data, errors, cursors.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { mkActivity, mkChange, store } from '../graphql/seed.js';
import { postGraphql, type GqlResponse } from '../graphql/helpers.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { silentLogger } from '../../src/log.js';
import { loadAuthConfig } from '../../src/config/auth.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { newApiKey } from '../../src/auth/api-key-secret.js';
import { insertApiKey } from '../../src/warehouse/queries/api-keys.js';
import type { Json, JsonRow } from '../../src/model/json.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef-role-matrix');
const E1 = 'alice.secret@example.com';
const E2 = 'alice.renamed@example.org';
const SSN = '078-05-1120';
const CARD = '4111111111111111';
const CARD2 = '5500000000000004';
const STMT_EMAIL = 'stmt.literal@example.net';
const PARAM = 'param.secret@example.net';
const ERR_EMAIL = 'dup.secret@example.com';
const SECRETS = [E1, E2, SSN, CARD, CARD2, STMT_EMAIL, PARAM, ERR_EMAIL];

const STATEMENT = `UPDATE customers SET email = '${STMT_EMAIL}' WHERE id = 1001`;
const ERROR = `Key (email)=(${ERR_EMAIL}) already exists.`;

const policy = parsePolicy({
  roles: {
    support: {
      tables: ['shop.public.customers', 'shop.public.orders'],
      mask: [
        { columns: ['**.email'], with: 'hash' },
        { columns: ['**.ssn'], with: 'absent' },
        { columns: ['**.card_number'], with: 'partial' },
      ],
      statements: 'none',
    },
  },
}, KEY);

type Role = 'admin' | 'auditor' | 'analyst' | 'siem' | 'support';
const ROLES: readonly Role[] = ['admin', 'auditor', 'analyst', 'siem', 'support'];

// ---- what each role should see, written out independently of src/policy ----
const REDACTED = { $masked: 'redact' };
const hmac = (v: Json) => ({ $masked: 'hash', hmac: createHmac('sha256', KEY).update(JSON.stringify(v)).digest('hex') });
const PII = /email|phone|ssn|card|password|token|secret|iban|address/;
const ABSENT = Symbol('absent');

function masked(role: Role, column: string, v: Json): Json | typeof ABSENT {
  if (role === 'admin' || role === 'auditor') return v;
  if (role === 'analyst' || role === 'siem') return PII.test(column) ? REDACTED : v;
  if (column === 'email') return hmac(v);
  if (column === 'ssn') return ABSENT;
  if (column === 'card_number') return { $masked: 'partial', value: `************${String(v).slice(-4)}` };
  return v;
}

function maskedRow(role: Role, row: JsonRow | null): JsonRow | null {
  if (row === null) return null;
  const out: Record<string, Json> = {};
  for (const [c, v] of Object.entries(row)) {
    const m = masked(role, c, v);
    if (m !== ABSENT) out[c] = m;
  }
  return out;
}

interface Seeded {
  readonly table: string;
  readonly key: JsonRow;
  readonly before: JsonRow | null;
  readonly after: JsonRow | null;
  readonly fields: readonly { field: string; old: Json; new: Json; oldAbsent: boolean }[];
  readonly txId: string;
  /** Format facts; `newkey` is Debezium's key header on a primary-key update (row values). */
  readonly extra?: JsonRow;
}

const ALICE = { id: 1001, name: 'Alice', email: E1, ssn: SSN, card_number: CARD };
const insertFields = (row: JsonRow) => Object.entries(row).map(([field, v]) => ({ field, old: null, new: v, oldAbsent: true }));
const CHANGES: readonly Seeded[] = [
  { table: 'customers', key: { id: 1001 }, before: null, after: ALICE, fields: insertFields(ALICE), txId: 'tx1' },
  { table: 'customers', key: { id: 1001 }, before: ALICE, after: { ...ALICE, email: E2 }, fields: [{ field: 'email', old: E1, new: E2, oldAbsent: false }], txId: 'tx2', extra: { lsn: '0/16B3748', newkey: { id: 1001, card_number: CARD } } },
  { table: 'cards', key: { card_number: CARD2 }, before: null, after: { card_number: CARD2, holder: 'Alice' }, fields: insertFields({ card_number: CARD2, holder: 'Alice' }), txId: 'tx3' },
  { table: 'orders', key: { id: 7 }, before: null, after: { id: 7, total: 12 }, fields: insertFields({ id: 7, total: 12 }), txId: 'tx4' },
  // the sentinel: the last row of the feed, in every role's scope
  { table: 'orders', key: { id: 8 }, before: null, after: { id: 8, total: 1 }, fields: insertFields({ id: 8, total: 1 }), txId: 'tx5' },
];
const ACTIVITY = [
  { objectName: 'public.customers', commandText: STATEMENT, parameters: [PARAM, 1001], errorMessage: ERROR, txId: 'tx2' },
  { objectName: 'public.orders', commandText: 'select total from orders where id = 7', parameters: null, errorMessage: null, txId: 'tx4' },
  { objectName: 'public.orders', commandText: 'select 1', parameters: null, errorMessage: null, txId: 'tx5' }, // sentinel
];

const seesTable = (role: Role, table: string) => role !== 'support' || table !== 'cards';
const rawStatements = (role: Role) => role === 'admin' || role === 'auditor';
const queriesAllowed = (role: Role) => role !== 'siem';
const scoped = (role: Role) => role === 'support';

function expectedChange(role: Role, c: Seeded) {
  return {
    table: c.table,
    key: maskedRow(role, c.key),
    extra: c.extra === undefined ? {} : { ...c.extra, ...(c.extra['newkey'] ? { newkey: maskedRow(role, c.extra['newkey'] as JsonRow) } : {}) },
    before: maskedRow(role, c.before),
    after: maskedRow(role, c.after),
    fieldChanges: c.fields
      .filter((f) => masked(role, f.field, f.new) !== ABSENT)
      .map((f) => ({ field: f.field, oldValue: f.oldAbsent ? null : masked(role, f.field, f.old), newValue: masked(role, f.field, f.new) }))
      .sort((a, b) => a.field.localeCompare(b.field)),
  };
}

function expectedActivity(role: Role, a: (typeof ACTIVITY)[number]) {
  const statements = role === 'support' ? 'none' : rawStatements(role) ? 'raw' : 'digest';
  const digest: Record<string, string> = {
    [STATEMENT]: 'UPDATE customers SET email = ? WHERE id = ?',
    'select total from orders where id = 7': 'select total from orders where id = ?',
    'select 1': 'select ?',
  };
  return {
    objectName: a.objectName,
    commandText: statements === 'raw' ? a.commandText : statements === 'digest' ? digest[a.commandText] : null,
    parameters: statements === 'raw' ? a.parameters : null,
    errorMessage: a.errorMessage === null || statements === 'raw' ? a.errorMessage : statements === 'digest' ? 'Key (email)=(?) already exists.' : null,
  };
}

// ---- the operations: every Query field ----
const C = 'id cursor table key before after extra fieldChanges { field oldValue newValue }';
const A = 'id cursor objectName commandText parameters errorMessage';
const CONN = `edges { cursor node { ${C} } } pageInfo { hasNextPage endCursor }`;
const ACONN = `edges { cursor node { ${A} } } pageInfo { hasNextPage endCursor }`;
const AT = '"2030-01-01T00:00:00Z"';

interface ChangeOut { id: string; cursor: string; table: string; key: unknown; before: unknown; after: unknown; extra: unknown; fieldChanges: { field: string }[] }
interface ActivityOut { id: string; objectName: string; commandText: string | null; parameters: unknown; errorMessage: string | null }
type Conn<N> = { edges: { cursor: string; node: N }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

const shape = (n: ChangeOut) => ({
  table: n.table, key: n.key, extra: n.extra, before: n.before, after: n.after,
  fieldChanges: [...n.fieldChanges].sort((a, b) => a.field.localeCompare(b.field)),
});
const ashape = (n: ActivityOut) => ({ objectName: n.objectName, commandText: n.commandText, parameters: n.parameters, errorMessage: n.errorMessage });
const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));

let w: TestWarehouse;
let changeIds: string[];
let activityIds: string[];

beforeAll(async () => {
  w = await freshWarehouse();
  const events = [
    ...CHANGES.slice(0, 2).map((c) => mkChange({
      table: c.table, key: c.key, before: c.before, after: c.after, operation: c.before ? 'UPDATE' : 'INSERT', txId: c.txId, extra: c.extra ?? {},
    })),
    mkActivity({ ...ACTIVITY[0]!, class: 'WRITE', command: 'UPDATE' }),
    ...CHANGES.slice(2, 4).map((c) => mkChange({ table: c.table, key: c.key, before: c.before, after: c.after, operation: 'INSERT', txId: c.txId })),
    mkActivity(ACTIVITY[1]!),
  ];
  const r1 = await store(w, events);
  const r2 = await store(w, [mkChange({ table: 'orders', key: { id: 8 }, after: { id: 8, total: 1 }, operation: 'INSERT', txId: 'tx5' }), mkActivity(ACTIVITY[2]!)]);
  changeIds = [...r1.seqs.change, ...r2.seqs.change];
  activityIds = [...r1.seqs.activity, ...r2.seqs.activity];
  expect(changeIds).toHaveLength(5);
  expect(activityIds).toHaveLength(3);
});

afterAll(async () => {
  await w?.destroy();
});

/** Every cursor in a response, decoded: cursors are bytes the server sent too. */
const decodedCursors = (text: string) =>
  [...text.matchAll(/"(?:cursor|endCursor|startCursor)":"([A-Za-z0-9_-]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64url').toString('utf8'));

describe.each(ROLES)('role %s', (role) => {
  let api: ApiServer;
  const sent: string[] = [];
  const q = async <R>(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<R>> => {
    const r = await postGraphql<R>(api.url, query, variables);
    sent.push(r.text, ...decodedCursors(r.text));
    return r;
  };
  const forbidden = (r: GqlResponse<unknown>) => {
    expect(r.errors?.map((e) => e.extensions?.['code'])).toEqual(['AUDITQL_FORBIDDEN']);
  };
  const visibleChanges = CHANGES.map((c, i) => ({ c, id: () => changeIds[i]! })).filter((x) => seesTable(role, x.c.table));
  const visibleActivity = ACTIVITY.map((a, i) => ({ a, id: () => activityIds[i]! }));

  beforeAll(async () => {
    api = await startApiServer({ warehouse: w, auth: { mode: 'none', role }, policy, port: 0, host: '127.0.0.1', log: silentLogger });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('changes, whoChanged, unattributedChanges, entityHistory, change: exactly the rows in scope, masked', async () => {
    const all = await q<{ changes: Conn<ChangeOut> }>(`{ changes(first: 50, order: FEED_ORDER) { ${CONN} } }`);
    const history = await q<{ entityHistory: Conn<ChangeOut> }>(`{ entityHistory(table: "customers", key: {id: 1001}) { ${CONN} } }`);
    const cards = await q<{ whoChanged: Conn<ChangeOut> }>(`{ whoChanged(table: "cards") { ${CONN} } }`);
    const gaps = await q<{ unattributedChanges: Conn<ChangeOut> }>(`{ unattributedChanges(first: 50) { ${CONN} } }`);
    const one = await q<{ change: ChangeOut | null }>(`query($id: ID!) { change(id: $id) { ${C} } }`, { id: changeIds[2] });
    if (!queriesAllowed(role)) {
      for (const r of [all, history, cards, gaps, one]) forbidden(r);
      return;
    }
    expect(all.errors).toBeUndefined();
    expect(all.data!.changes.edges.map((e) => shape(e.node))).toEqual(visibleChanges.map((x) => expectedChange(role, x.c)));
    expect(all.data!.changes.edges.map((e) => e.node.id)).toEqual(visibleChanges.map((x) => x.id()));
    // equal values stay equal under every method: the insert's email is the update's old email
    const [insert, update] = all.data!.changes.edges.map((e) => e.node) as [ChangeOut, ChangeOut];
    expect((insert.after as JsonRow)['email']).toEqual((update.before as JsonRow)['email']);
    expect(history.data!.entityHistory.edges.map((e) => shape(e.node))).toEqual([expectedChange(role, CHANGES[1]!), expectedChange(role, CHANGES[0]!)]);
    expect(cards.data!.whoChanged.edges.map((e) => shape(e.node))).toEqual(seesTable(role, 'cards') ? [expectedChange(role, CHANGES[2]!)] : []);
    expect(byId(gaps.data!.unattributedChanges.edges.map((e) => e.node)).map(shape)).toEqual(visibleChanges.map((x) => expectedChange(role, x.c)));
    expect(one.data!.change === null ? null : shape(one.data!.change)).toEqual(seesTable(role, 'cards') ? expectedChange(role, CHANGES[2]!) : null);
  });

  it('a page with rows out of scope comes back short, and its endCursor still pages on exactly', async () => {
    if (!queriesAllowed(role)) return;
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const r: GqlResponse<{ changes: Conn<ChangeOut> }> = await q(`query($a: String) { changes(first: 1, order: FEED_ORDER, after: $a) { ${CONN} } }`, { a: after });
      seen.push(...r.data!.changes.edges.map((e) => e.node.id));
      if (!r.data!.changes.pageInfo.hasNextPage) break;
      after = r.data!.changes.pageInfo.endCursor;
    }
    expect(seen).toEqual(visibleChanges.map((x) => x.id()));
  });

  it('entityAt and entityAtDetail: the row as it was, masked', async () => {
    const at = await q<{ entityAt: unknown }>(`{ entityAt(table: "customers", key: {id: 1001}, at: ${AT}) }`);
    const detail = await q<{ entityAtDetail: { row: unknown; existence: string; asOf: { id: string } | null } }>(
      `{ entityAtDetail(table: "customers", key: {id: 1001}, at: ${AT}) { row existence unknownColumns asOf { id } } }`,
    );
    const card = await q<{ entityAt: unknown }>(`{ entityAt(table: "cards", key: {card_number: "${CARD2}"}, at: ${AT}) }`);
    if (!queriesAllowed(role)) {
      for (const r of [at, detail, card]) forbidden(r);
      return;
    }
    expect(at.data!.entityAt).toEqual(maskedRow(role, CHANGES[1]!.after));
    expect(detail.data!.entityAtDetail).toEqual({ row: maskedRow(role, CHANGES[1]!.after), existence: 'EXISTS', unknownColumns: [], asOf: { id: changeIds[1] } });
    expect(card.data!.entityAt).toEqual(seesTable(role, 'cards') ? maskedRow(role, CHANGES[2]!.after) : null);
  });

  it('activity and activityByUser: statements as the role may see them', async () => {
    const all = await q<{ activity: Conn<ActivityOut> }>(`{ activity(first: 50, order: FEED_ORDER) { ${ACONN} } }`);
    const bob = await q<{ activityByUser: Conn<ActivityOut> }>(`{ activityByUser(user: "bob") { ${ACONN} } }`);
    expect(all.errors).toBeUndefined();
    expect(all.data!.activity.edges.map((e) => ashape(e.node))).toEqual(visibleActivity.map((x) => expectedActivity(role, x.a)));
    expect(byId(bob.data!.activityByUser.edges.map((e) => e.node)).map(ashape)).toEqual(visibleActivity.map((x) => expectedActivity(role, x.a)));
  });

  it('transaction: its changes and activity in scope, masked; counts only for roles without a scope', async () => {
    const tx2 = await q<{ transaction: { changes: Conn<ChangeOut>; activity: Conn<ActivityOut> } }>(
      `{ transaction(id: "tx2") { id changes { ${CONN} } activity { ${ACONN} } } }`,
    );
    const tx3 = await q<{ transaction: { changes: Conn<ChangeOut> } }>(`{ transaction(id: "tx3") { changes { ${CONN} } } }`);
    const counts = await q<{ transaction: { changeCount: number; activityCount: number } }>('{ transaction(id: "tx2") { changeCount activityCount } }');
    if (!queriesAllowed(role)) {
      for (const r of [tx2, tx3, counts]) forbidden(r);
      return;
    }
    expect(tx2.data!.transaction.changes.edges.map((e) => shape(e.node))).toEqual([expectedChange(role, CHANGES[1]!)]);
    expect(tx2.data!.transaction.activity.edges.map((e) => ashape(e.node))).toEqual([expectedActivity(role, ACTIVITY[0]!)]);
    expect(tx3.data!.transaction.changes.edges.map((e) => shape(e.node))).toEqual(seesTable(role, 'cards') ? [expectedChange(role, CHANGES[2]!)] : []);
    if (scoped(role)) forbidden(counts);
    else expect(counts.data!.transaction).toEqual({ changeCount: 1, activityCount: 1 });
  });

  it('warehouse-wide figures: attributionCoverage and the ledger', async () => {
    const coverage = await q<{ attributionCoverage: { total: number } }>('{ attributionCoverage { total } }');
    const checkpoint = await q<{ latestCheckpoint: unknown }>('{ latestCheckpoint { treeSize } }');
    const proof = await q<unknown>('{ consistencyProof(fromSize: 0, toSize: 0) { __typename } }');
    if (!queriesAllowed(role) || scoped(role)) {
      for (const r of [coverage, checkpoint, proof]) forbidden(r);
      return;
    }
    expect(coverage.data!.attributionCoverage.total).toBe(5);
    expect(checkpoint.errors).toBeUndefined();
    expect(proof.errors?.map((e) => e.extensions?.['code']) ?? []).not.toContain('AUDITQL_FORBIDDEN');
  });

  it('introspection: only for roles allowed ad-hoc queries (all but siem)', async () => {
    const r = await q<{ __schema: { queryType: { name: string } } }>('{ __schema { queryType { name } } }');
    if (role === 'siem') expect(r.errors?.map((e) => e.extensions?.['code'])).toEqual(['AUDITQL_OPERATION_NOT_ALLOWED']);
    else expect(r.data!.__schema.queryType.name).toBe('Query');
  });

  it('apiAccess: the access audit, for admin and auditor only', async () => {
    const r = await q<{ apiAccess: { nodes: { id: string }[] } }>('{ apiAccess(first: 100) { nodes { id principal role operationName variables decision } } }');
    if (role === 'admin' || role === 'auditor') expect(r.errors).toBeUndefined();
    else forbidden(r);
    // and apiAccessAdded, replaying the records of this role's requests above
    const { client } = connect(api.url);
    try {
      const s = subscribe<{ apiAccessAdded: { id: string; role: string } }>(client, 'subscription($a: String, $r: String) { apiAccessAdded(filter: {role: $r}, after: $a) { id role } }', { a: Buffer.from('x1:0:0').toString('base64url'), r: role });
      await until('a record or the refusal', () => s.results.length > 0 || s.errors.length > 0);
      if (role === 'admin' || role === 'auditor') expect(s.results[0]!.data!.apiAccessAdded.role).toBe(role);
      else expect(s.results[0]?.errors?.map((e) => e.extensions?.['code'])).toEqual(['AUDITQL_FORBIDDEN']);
    } finally {
      await client.dispose();
    }
  });

  it('changeAdded and activityAdded: the same rows and values, replayed from the start', async () => {
    const raw: string[] = [];
    class Recording extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols);
        this.on('message', (d) => void raw.push(String(d)));
      }
    }
    const { client } = connect(api.url, { webSocketImpl: Recording });
    try {
      const start = (kind: string) => Buffer.from(`${kind}:0:0`).toString('base64url');
      const changes = subscribe<{ changeAdded: ChangeOut }>(client, `subscription($a: String) { changeAdded(after: $a) { ${C} } }`, { a: start('c1') });
      const activity = subscribe<{ activityAdded: ActivityOut }>(client, `subscription($a: String) { activityAdded(after: $a) { ${A} } }`, { a: start('a1') });
      await until('the sentinel change', () => changes.errors.length > 0 || changes.results.some((r) => r.data?.changeAdded.id === changeIds[4]));
      await until('the sentinel activity', () => activity.errors.length > 0 || activity.results.some((r) => r.data?.activityAdded.id === activityIds[2]));
      expect(changes.errors).toEqual([]);
      expect(changes.results.map((r) => r.errors)).toEqual(changes.results.map(() => undefined));
      expect(changes.results.map((r) => shape(r.data!.changeAdded))).toEqual(visibleChanges.map((x) => expectedChange(role, x.c)));
      expect(activity.results.map((r) => ashape(r.data!.activityAdded))).toEqual(visibleActivity.map((x) => expectedActivity(role, x.a)));
      changes.dispose();
      activity.dispose();
    } finally {
      await client.dispose();
    }
    sent.push(...raw, ...raw.flatMap(decodedCursors));
  });

  it('sent no masked secret, anywhere', () => {
    const bytes = sent.join('\n');
    expect(bytes.length).toBeGreaterThan(1000);
    if (role === 'admin' || role === 'auditor') {
      // the same operations do carry every secret to a role allowed to see it
      for (const s of SECRETS) expect(bytes).toContain(s);
      return;
    }
    for (const s of SECRETS) expect(bytes, s).not.toContain(s);
    // hashes are keyed: the unkeyed SHA-256 of a secret is not there either
    for (const s of SECRETS) expect(bytes).not.toContain(createHmac('sha256', '').update(JSON.stringify(s)).digest('hex'));
  });
});

describe('one server, several roles on the same subscription (shared execution)', () => {
  it('executes a live event once per role, never sending one role\'s result to another (real API keys)', async () => {
    const config = loadAuthConfig({});
    const api = await startApiServer({
      warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, policy,
      auth: { mode: 'verify', authenticator: createAuthenticator({ config, db: w.db, roles: new Set(policy.roles.keys()) }) },
    });
    const roles: Role[] = ['admin', 'analyst', 'support', 'auditor'];
    const clients: ReturnType<typeof connect>[] = [];
    const received = (s: { results: { data?: { changeAdded: ChangeOut } | null }[] }, id: string) => s.results.some((r) => r.data?.changeAdded.id === id);
    try {
      const after = Buffer.from(`c1:${changeIds[4]}:0`).toString('base64url');
      const subs = await Promise.all(roles.map(async (role, i) => {
        const k = await newApiKey();
        await insertApiKey(w.db, { keyId: k.keyId, name: `matrix-${role}-${i}`, role, secretHash: k.secretHash });
        const c = connect(api.url, { connectionParams: { authorization: `Bearer ${k.key}` } });
        clients.push(c);
        // the same document and variables for everyone: one feed group, one execution memo
        return subscribe<{ changeAdded: ChangeOut }>(c.client, `subscription($a: String) { changeAdded(after: $a) { ${C} } }`, { a: after });
      }));
      // a first row every role sees: once all have it, all follow the feed live, sharing its event objects
      const [warm] = (await store(w, [mkChange({ table: 'orders', key: { id: 9 }, after: { id: 9, total: 2 }, operation: 'INSERT' })])).seqs.change;
      for (const s of subs) await until('the first live change', () => s.errors.length > 0 || received(s, warm!));
      const secret: Seeded = CHANGES[1]!;
      const [id] = (await store(w, [mkChange({ table: 'customers', key: secret.key, before: secret.before, after: secret.after, operation: 'UPDATE', extra: secret.extra ?? {} })])).seqs.change;
      for (const s of subs) await until('the live secret change', () => s.errors.length > 0 || received(s, id!));
      roles.forEach((role, i) => {
        const got = subs[i]!.results.map((r) => r.data!.changeAdded).filter((n) => n.id === id);
        expect(got.map(shape)).toEqual([expectedChange(role, secret)]);
      });
    } finally {
      await Promise.all(clients.map((c) => c.client.dispose()));
      await api.close();
    }
  });
});
