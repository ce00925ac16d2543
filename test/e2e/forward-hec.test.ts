/**
 * `auditql forward --to splunk-hec`, the built CLI as a child process, against a real HEC-compatible
 * receiver started here: it checks the token, parses the envelopes, acknowledges by ackId, and answers
 * 503 now and then. All events arrive; a kill -9 mid-stream and a restart lose nothing and duplicate only
 * the unacknowledged batch (each identifiable by metadata.uid); a destination down for a while leaves ingest
 * and queries unaffected, and delivery resumes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';
import { until } from '../helpers/until.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate } from '../../src/warehouse/migrate.js';
import { mkActivity, mkChange, store } from '../graphql/seed.js';
import { feedHead } from '../../src/warehouse/queries/feed.js';
import { forwarderLags } from '../../src/warehouse/queries/forwarders.js';
import { validateOcsf } from '../helpers/ocsf-validate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'hec-test-token';
const BATCH = 20;

interface Received {
  readonly batch: number;
  readonly uid: string;
  readonly event: Record<string, unknown>;
}

/** The receiver's state, switched by the test. */
const hec = {
  received: [] as Received[],
  requests: 0,
  unauthorized: 0,
  down: false,
  /** ackIds not to acknowledge yet. */
  holdAcks: new Set<number>(),
  /** Hold the ack of the first batch received after this many events. */
  holdAfter: Number.POSITIVE_INFINITY,
  heldBatch: null as number | null,
};
let server: Server;
let url: string;
let db: Awaited<ReturnType<typeof createDatabase>>;
let w: WarehouseDb;
let tokenFile: string;
const children: ChildProcess[] = [];

function startReceiver(): Promise<void> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Splunk ${TOKEN}`) {
        hec.unauthorized++;
        return reply(401, { text: 'Invalid token', code: 4 });
      }
      if (!req.headers['x-splunk-request-channel']) return reply(400, { text: 'Data channel is missing', code: 10 });
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/services/collector/ack') {
        const { acks } = JSON.parse(body) as { acks: number[] };
        return reply(200, { acks: Object.fromEntries(acks.map((id) => [id, !hec.holdAcks.has(id)])) });
      }
      if (req.url !== '/services/collector/event') return reply(404, { text: 'not found', code: 404 });
      const n = ++hec.requests;
      if (hec.down || n % 4 === 0) return reply(503, { text: 'Server is busy', code: 9 });
      const envelopes = body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: number; host: string; source: string; sourcetype: string; event: Record<string, unknown> });
      for (const e of envelopes) {
        expect(typeof e.time).toBe('number');
        expect(e.sourcetype).toBe('auditql:ocsf');
        hec.received.push({ batch: n, uid: (e.event.metadata as { uid: string }).uid, event: e.event });
      }
      if (hec.heldBatch === null && hec.received.length >= hec.holdAfter) {
        hec.heldBatch = n;
        hec.holdAcks.add(n);
      }
      return reply(200, { text: 'Success', code: 0, ackId: n });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/services/collector/event`;
    resolve();
  }));
}

function forward(): ChildProcess {
  const child = spawn(process.execPath, [`${ROOT}bin/auditql.js`, 'forward', '--name', 'hec1', '--to', 'splunk-hec', '--url', url,
    '--token-file', tokenFile, '--batch-size', String(BATCH), '--flush-ms', '50'], {
    cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url, AUDITQL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', () => {}); // retries are logged as warnings: expected here
  children.push(child);
  return child;
}

async function seed(n: number, tag: string): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => i % 3 === 0
    ? mkChange({ table: 'orders', key: { id: `${tag}-${i}` }, before: null, after: { id: `${tag}-${i}` }, operation: 'INSERT' })
    : mkActivity({ commandText: `select ${i} /* ${tag} */` }));
  await store(w, events);
}

const uids = () => new Set(hec.received.map((r) => r.uid));

beforeAll(async () => {
  db = await createDatabase('fwd');
  w = openWarehouse(db.url);
  await migrate(w.pool);
  const dir = mkdtempSync(join(tmpdir(), 'aq-fwd-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  await startReceiver();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await new Promise((r) => server?.close(r));
  await w?.close();
  await db?.drop();
});

it('delivers every event through 503s, a kill -9 and a restart, duplicating only the unacknowledged batch', async () => {
  await seed(150, 'a');
  hec.holdAfter = 60;
  const first = forward();
  await until('a batch whose ack is held', () => hec.heldBatch !== null, 60_000);
  const heldUids = new Set(hec.received.filter((r) => r.batch === hec.heldBatch).map((r) => r.uid));
  const before = hec.received.length;
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  hec.holdAcks.clear();

  forward();
  await seed(60, 'b'); // live: written while the forwarder runs
  const total = 210;
  await until('every event received', () => uids().size === total, 60_000);

  expect(hec.unauthorized).toBe(0);
  // duplicates: only events of the batch whose acknowledgement the kill cut off
  const seen = new Map<string, number>();
  for (const r of hec.received) seen.set(r.uid, (seen.get(r.uid) ?? 0) + 1);
  const dups = [...seen].filter(([, n]) => n > 1).map(([u]) => u);
  expect(dups.length).toBeGreaterThan(0);
  expect(dups.every((u) => heldUids.has(u))).toBe(true);
  expect(dups.length).toBeLessThanOrEqual(BATCH);
  expect(hec.received.length).toBe(total + dups.length);
  expect(before).toBeLessThan(total);
  // in feed order within each delivery, and valid OCSF
  for (const r of hec.received.slice(0, 30)) expect(validateOcsf(r.event).problems).toEqual([]);
});

it('keeps ingest and queries working while the destination is down, then resumes', async () => {
  hec.down = true;
  const requestsBefore = hec.requests;
  await seed(30, 'c'); // ingest is not held up
  await until('the forwarder tried the dead destination', () => hec.requests > requestsBefore + 1, 30_000);
  const head = await feedHead(w.db); // queries are not held up
  const lag = (await forwarderLags(w.db)).find((f) => f.name === 'hec1')!;
  expect(BigInt(lag.lagSeqs)).toBeGreaterThan(0n);
  expect(lag.lastError).toMatch(/503/);
  hec.down = false;
  await until('the events written while it was down', () => uids().size === 240, 60_000);
  const after = (await forwarderLags(w.db)).find((f) => f.name === 'hec1')!;
  await until('the cursor reached the head', async () => BigInt((await forwarderLags(w.db)).find((f) => f.name === 'hec1')!.ackedSeq) >= BigInt(head), 30_000);
  expect(after.lastError === null || /503/.test(after.lastError)).toBe(true);
});
