/**
 * `auditql forward --role` (docs/siem.md "Masking"): a forwarder's events go through its role's scope,
 * column masking and statement policy — the API's policy — before they are formatted. Against a real
 * warehouse and a real HTTP receiver: with role analyst no secret (an email, an SSN and card numbers in
 * before/after and a key; a literal, bind parameters and an error detail in a statement) is in any byte the
 * receiver got, in any format; with role auditor they all are; a scoped custom role never sends a row of a
 * table outside its scope; under `appContext: redact` (analyst, or a role that masks nothing else) the
 * application user and the application's context are in no byte either.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { until } from '../helpers/until.js';
import { attribute, mkActivity, mkChange, store } from '../graphql/seed.js';
import { Forwarder } from '../../src/siem/forward/forwarder.js';
import { httpWebhook } from '../../src/siem/forward/http-webhook.js';
import { EVERYTHING } from '../../src/siem/feed-events.js';
import { BUILTIN_POLICY, parsePolicy } from '../../src/policy/load-policy.js';
import { roleView } from '../../src/policy/role-view.js';
import { forwarderView, parseForwardArgs } from '../../src/cli/commands/forward.js';
import { silentLogger } from '../../src/log.js';
import type { Policy } from '../../src/policy/policy.js';
import type { SiemFormat } from '../../src/siem/siem-format.js';

const EMAIL = 'alice.secret@example.com';
const EMAIL2 = 'alice.renamed@example.org';
const SSN = '078-05-1120';
const CARD = '4111111111111111';
const CARD_KEY = '5500000000000004';
const STMT_EMAIL = 'stmt.literal@example.net';
const PARAM = 'param.secret@example.net';
const ERR_EMAIL = 'dup.secret@example.com';
const SECRETS = [EMAIL, EMAIL2, SSN, CARD, CARD_KEY, STMT_EMAIL, PARAM, ERR_EMAIL];
/** Application context (docs/security.md "Application context"): the application user, and what else its context said. */
const APP_USER = 'carol.app@example.com';
const APP_REQUEST = 'req-7f3a-secret';
const APP_SECRETS = [APP_USER, APP_REQUEST];
const TOTAL = 5;

let w: TestWarehouse;
let server: Server;
let base: string;
/** Raw request bodies by path, as bytes arrived. */
const bodies = new Map<string, Buffer[]>();

const received = (path: string) => Buffer.concat(bodies.get(path) ?? []).toString('utf8');
const lines = (path: string) => received(path).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  w = await freshWarehouse();
  const alice = { id: 1001, name: 'Alice', email: EMAIL, ssn: SSN, card_number: CARD };
  const stored = await store(w, [
    mkChange({ table: 'customers', key: { id: 1001 }, before: null, after: alice, operation: 'INSERT' }),
    mkChange({ table: 'customers', key: { id: 1001 }, before: alice, after: { ...alice, email: EMAIL2 }, operation: 'UPDATE', extra: { newkey: { id: 1001, card_number: CARD } } }),
    mkChange({ table: 'cards', key: { card_number: CARD_KEY }, before: null, after: { card_number: CARD_KEY, holder: 'Alice' }, operation: 'INSERT' }),
    mkActivity({ class: 'WRITE', command: 'UPDATE', objectName: 'public.customers', commandText: `UPDATE customers SET email = '${STMT_EMAIL}' WHERE id = 1001`, parameters: [PARAM, 1001], errorMessage: `Key (email)=(${ERR_EMAIL}) already exists.` }),
    mkActivity({ class: 'READ', objectName: 'public.orders', commandText: 'select 1' }),
  ]);
  for (const seq of stored.seqs.change) {
    await attribute(w, seq, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: APP_USER, detail: { context: { user: APP_USER, requestId: APP_REQUEST } } });
    await attribute(w, seq, { evidence: 'ACTIVITY_TX', confidence: 'EXACT', dbUser: 'app_rw', clientApplication: 'billing' });
  }
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = bodies.get(req.url!) ?? [];
      list.push(Buffer.concat(chunks), Buffer.from('\n'));
      bodies.set(req.url!, list);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await w?.destroy();
});

/** Run a forwarder named `name` with `role` until it acknowledged everything up to the last event. */
async function forwardAll(name: string, role: string, format: SiemFormat, policy: Policy = BUILTIN_POLICY, expected = TOTAL): Promise<void> {
  const f = new Forwarder({
    name, db: w.db, destination: httpWebhook({ url: `${base}/${name}`, secret: null, body: 'lines' }), destinationKind: 'http', format,
    filter: EVERYTHING, view: roleView(policy, role)!, log: silentLogger, flushMs: 20,
  });
  void f.start();
  try {
    await until(`${name} delivered ${expected} events`, () => lines(`/${name}`).length >= expected);
  } finally {
    await f.stop();
  }
  expect(lines(`/${name}`)).toHaveLength(expected);
}

describe.each(['ocsf', 'ecs', 'json'] as const)('format %s', (format) => {
  it('role analyst: no secret in any byte received', async () => {
    await forwardAll(`analyst-${format}`, 'analyst', format);
    const text = received(`/analyst-${format}`);
    for (const s of [...SECRETS, ...APP_SECRETS]) expect(text, s).not.toContain(s);
    expect(text).toContain('app_rw'); // the database user stays: it is not application context
    expect(text).toContain('$masked'); // masked, not dropped
    expect(text).toContain('UPDATE customers SET email = ? WHERE id = ?'); // the statement's digest
  });

  it('role auditor: every secret received', async () => {
    await forwardAll(`auditor-${format}`, 'auditor', format);
    const text = received(`/auditor-${format}`);
    for (const s of SECRETS) expect(text, s).toContain(s);
    expect(text).toContain(APP_USER);
    expect(text).not.toContain('$masked');
  });
});

it('a role with a table scope sends nothing of a table outside it, and masks as its rules say', async () => {
  const policy = parsePolicy({ roles: { support: { tables: ['shop.public.customers', 'shop.public.orders'], mask: [{ columns: ['**.card_number'], with: 'partial' }], statements: 'none' } } }, null);
  await forwardAll('support', 'support', 'json', policy, TOTAL - 1);
  const text = received('/support');
  expect(text).not.toContain(CARD_KEY);
  expect(text).not.toContain(CARD);
  expect(text).toContain('************1111');
  expect(text).not.toContain('UPDATE customers');
  expect(lines('/support').map((e) => e.table ?? e.objectName)).toEqual(['customers', 'customers', 'public.customers', 'public.orders']);
});

it.each(['ocsf', 'ecs', 'json'] as const)('%s: a role that masks nothing but application context sends no byte of it', async (format) => {
  const policy = parsePolicy({ roles: { noapp: { tables: ['**'], statements: 'raw', appContext: 'redact' } } }, null);
  await forwardAll(`noapp-${format}`, 'noapp', format, policy);
  const text = received(`/noapp-${format}`);
  for (const s of APP_SECRETS) expect(text, s).not.toContain(s);
  for (const s of SECRETS) expect(text, s).toContain(s); // nothing else is masked
  expect(text).toContain('app_rw');
});

it('--role defaults to siem and must be a role of the policy', () => {
  const a = parseForwardArgs(['--name', 'x', '--to', 'http', '--url', 'http://127.0.0.1:1/']);
  expect(a.role).toBe('siem');
  expect(forwarderView(a, BUILTIN_POLICY).role).toBe('siem');
  const b = parseForwardArgs(['--name', 'x', '--to', 'http', '--url', 'http://127.0.0.1:1/', '--role', 'nobody']);
  expect(() => forwarderView(b, BUILTIN_POLICY)).toThrow(/--role "nobody" is not a role of the policy/);
});
