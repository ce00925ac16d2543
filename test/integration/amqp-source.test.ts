/**
 * The AMQP source against a real RabbitMQ (a private node started here; skipped, saying so, when
 * rabbitmq-server is not installed) and the built CLI, the way a user runs it: JSON application audit
 * events on a quorum queue, mapped by test/fixtures/mapped/app-audit.mapping.json. 10,000 messages,
 * ingest killed with SIGKILL twice, RabbitMQ restarted once: every message stored exactly once. A classic
 * queue: redeliveries with and without a message id are absorbed; messages are acknowledged only once stored.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { rabbitmqAvailable, RABBITMQ_SERVER, startRabbit, type RabbitNode } from '../helpers/rabbitmq.js';
import { probeUntil } from '../helpers/until.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;
const MAPPING = `${ROOT}test/fixtures/mapped/app-audit.mapping.json`;

if (!rabbitmqAvailable()) {
  console.warn(`amqp-source.test.ts: SKIPPED: ${RABBITMQ_SERVER} is not installed (apt-get install rabbitmq-server; .ci/run does)`);
}

const login = (i: number) =>
  JSON.stringify({ action: 'auth.login', actor: { email: `user${i % 50}@example.com` }, request_id: `r-${i}`, occurred_at: '2024-01-12T09:29:58.000Z' });

describe.skipIf(!rabbitmqAvailable())('amqp source (RabbitMQ)', () => {
  let w: TestWarehouse;
  let rabbit: RabbitNode;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    [w, rabbit] = await Promise.all([freshWarehouse(), startRabbit()]);
  }, 180_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rabbit?.stop();
    await w?.destroy();
  });

  async function publish(queue: string, type: 'quorum' | 'classic', bodies: readonly { body: string; messageId?: string }[]) {
    const c = await amqp.connect(rabbit.url);
    const ch = await c.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': type } });
    for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b.body), { persistent: true, contentType: 'application/json', ...(b.messageId ? { messageId: b.messageId } : {}) });
    await ch.waitForConfirms();
    await c.close();
  }

  const queueDepth = async (queue: string) => {
    const c = await amqp.connect(rabbit.url);
    const ch = await c.createChannel();
    const q = await ch.checkQueue(queue);
    await c.close();
    return q.messageCount;
  };

  function ingest(source: string, queue: string, prefetch = 200): ChildProcess {
    const c = spawn(process.execPath, [BIN, 'ingest', '--from', 'amqp', '--url', rabbit.url, '--queue', queue, '--prefetch', String(prefetch),
      '--format', 'mapped', '--mapping', MAPPING, '--source', source, '--batch-size', '500', '--json'], {
      env: { ...process.env, DATABASE_URL: w.url }, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(c);
    return c;
  }
  const exited = (c: ChildProcess) => new Promise<{ code: number | null; signal: string | null }>((r) => c.once('exit', (code, signal) => r({ code, signal })));

  const stored = async (source: string) => {
    const r = await w.pool.query(`select count(*)::int as n, count(distinct extra->>'requestId')::int as d from auditql.activity where source = $1`, [source]);
    return r.rows[0] as { n: number; d: number };
  };
  const atLeast = (source: string, n: number) => probeUntil(`${n} stored`, () => stored(source), (s) => s.n >= n, 120_000);

  it('is built', () => expect(existsSync(`${ROOT}dist/src/cli/main.js`), 'run `npm run build` (npm test does)').toBe(true));

  it('10,000 messages on a quorum queue, ingest SIGKILLed twice, RabbitMQ restarted once: each stored exactly once', async () => {
    const N = 10_000;
    await publish('audit-q', 'quorum', Array.from({ length: N }, (_, i) => ({ body: login(i), ...(i % 2 ? { messageId: `m-${i}` } : {}) })));

    const a = ingest('rmq', 'audit-q');
    await atLeast('rmq', 1500);
    a.kill('SIGKILL');
    await exited(a);
    const b = ingest('rmq', 'audit-q');
    await atLeast('rmq', (await stored('rmq')).n + 1500);
    b.kill('SIGKILL');
    await exited(b);

    const c = ingest('rmq', 'audit-q');
    let err = '';
    c.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    await atLeast('rmq', (await stored('rmq')).n + 1000);
    await rabbit.restart();
    const all = await atLeast('rmq', N);
    expect(all).toEqual({ n: N, d: N });
    expect(err).toMatch(/connection lost; reconnecting/);
    // Everything acknowledged: the queue is empty once the broker has the last acks.
    await probeUntil('the queue drained', () => queueDepth('audit-q'), (d) => d === 0);
    const out: string[] = [];
    c.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    const done = exited(c);
    c.kill('SIGTERM');
    expect(await done).toEqual({ code: 0, signal: null });
    expect(JSON.parse(out.join('').trim())).toMatchObject({ deadLettered: 0, stored: expect.any(Number) });
    expect(await stored('rmq')).toEqual({ n: N, d: N });
  }, 300_000);

  it('a classic queue: redeliveries absorbed by message id and by content hash; unstored messages stay with the broker', async () => {
    await publish('audit-c', 'classic', [
      { body: login(1), messageId: 'same-id' },
      { body: login(2), messageId: 'same-id' }, // the publisher says: the same message again
      { body: login(3) },
      { body: login(3) }, // no id: the same bytes are the same message
      { body: '{"action": "auth.login", "actor": ' }, // damaged: a dead letter, and acknowledged
    ]);
    const p = ingest('rmq-c', 'audit-c', 10);
    await probeUntil('all five read', async () => (await w.pool.query(`select count(*)::int as n from auditql.dead_letters where source = 'rmq-c'`)).rows[0].n, (n) => n === 1);
    await probeUntil('the queue drained', () => queueDepth('audit-c'), (d) => d === 0);
    const out: string[] = [];
    p.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    const done = exited(p);
    p.kill('SIGTERM');
    expect((await done).code).toBe(0);
    expect(JSON.parse(out.join('').trim())).toMatchObject({ read: 5, stored: 2, duplicates: 2, deadLettered: 1 });
    const rows = await w.pool.query(`select position, extra->>'requestId' as r from auditql.activity where source = 'rmq-c' order by seq`);
    expect(rows.rows).toEqual([
      { position: 'amqp:audit-c/id:same-id', r: 'r-1' },
      { position: expect.stringMatching(/^amqp:audit-c\/sha256:[0-9a-f]{64}$/), r: 'r-3' },
    ]);
  }, 120_000);
});
