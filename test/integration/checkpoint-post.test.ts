/**
 * AUDITQL_CHECKPOINT_URL against a real HTTP receiver started here: every checkpoint the real sink seals is
 * POSTed as its signed note with the bearer token from the file; a 503 is retried; a 400 is given up on,
 * logged and counted; a receiver that never answers does not hold a sink write back.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLedgerConfig } from '../../src/config/ledger.js';
import { createTelemetry } from '../../src/metrics/telemetry.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { Sealer, sealerFor } from '../../src/warehouse/ledger/sealer.js';
import { generateSigner } from '../../src/warehouse/ledger/signed-note.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { mkChange, NEW_DAY } from '../helpers/ledger-seed.js';
import { parseExposition, sampleValue } from '../helpers/prom-text.js';
import { until } from '../helpers/until.js';

interface Received { readonly size: string | undefined; readonly auth: string | undefined; readonly type: string | undefined; readonly body: string }

let w: TestWarehouse;
let receiver: Server;
let url: string;
const received: Received[] = [];
/** How the receiver answers the next requests (then 200). */
const answers: number[] = [];
const hung: ServerResponse[] = [];
const dir = mkdtempSync(join(tmpdir(), 'aq-cp-post-'));
const tokenFile = join(dir, 'token');
const TOKEN = 'tok-6d1e-checkpoints';

beforeAll(async () => {
  w = await freshWarehouse();
  writeFileSync(tokenFile, `${TOKEN}\n`);
  receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ size: req.headers['x-auditql-tree-size'] as string | undefined, auth: req.headers.authorization, type: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
      const status = answers.shift() ?? 200;
      if (status === 0) hung.push(res); // never answered
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/checkpoints`;
});
afterAll(async () => {
  for (const res of hung) res.destroy();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await w?.destroy();
});

let n = 0;
/** One batch, and its ledger follower (which trails the write) done: one checkpoint each (AUDITQL_CHECKPOINT_ROWS=1). */
const writeOne = async (sink: WarehouseSink) => {
  n++;
  await sink.write({ source: 'cp-post', events: [mkChange(`p${n}`, NEW_DAY, n)], deadLetters: [], checkpoints: [] });
  await sink.ledger.settled();
};
const sealerTo = (target: string, log: string[]): Sealer => {
  const c = loadLedgerConfig({ AUDITQL_CHECKPOINT_URL: target, AUDITQL_CHECKPOINT_TOKEN_FILE: tokenFile, AUDITQL_CHECKPOINT_ROWS: '1' });
  return sealerFor(w.pool, { ...c, signer: generateSigner('auditql.test/post'), origin: 'auditql.test/post' }, undefined, (m) => log.push(m))!;
};
const posts = async () => parseExposition((await createTelemetry().scrape()).body);

describe('checkpoint POST', () => {
  it('validates its configuration, naming the variable', () => {
    expect(() => loadLedgerConfig({ AUDITQL_CHECKPOINT_URL: 'ftp://x/y' })).toThrow(/AUDITQL_CHECKPOINT_URL: expected an http/);
    expect(() => loadLedgerConfig({ AUDITQL_CHECKPOINT_URL: 'https://u:p@x/' })).toThrow(/credentials do not belong/);
    expect(() => loadLedgerConfig({ AUDITQL_CHECKPOINT_TOKEN_FILE: tokenFile })).toThrow(/without AUDITQL_CHECKPOINT_URL/);
    expect(() => loadLedgerConfig({ AUDITQL_CHECKPOINT_URL: url, AUDITQL_CHECKPOINT_TOKEN_FILE: join(dir, 'missing') })).toThrow(/AUDITQL_CHECKPOINT_TOKEN_FILE: cannot read/);
  });

  it('POSTs each sealed checkpoint with its bearer token, retrying a 503, and gives up on a 400, logged and counted', async () => {
    const log: string[] = [];
    const sealer = sealerTo(url, log);
    const sink = new WarehouseSink(w.pool, settleAttribution, sealer);
    const before = await posts();
    answers.push(503);
    await writeOne(sink);
    await writeOne(sink);
    await until('both delivered', () => received.filter((r) => r.type?.startsWith('text/plain')).length >= 3, 30_000);
    await sealer.poster!.idle();
    const stored = (await w.pool.query<{ tree_size: string; note: string }>('select tree_size::text, note from auditql.ledger_checkpoints order by tree_size')).rows;
    expect(stored).toHaveLength(2);
    // The first was answered 503 and sent again; then each once, in order, exactly the stored signed note.
    expect(received.map((r) => r.size)).toEqual([stored[0]!.tree_size, stored[0]!.tree_size, stored[1]!.tree_size]);
    expect(received[2]!.body).toBe(stored[1]!.note);
    expect(received[0]!.body).toBe(stored[0]!.note);
    expect(received.every((r) => r.auth === `Bearer ${TOKEN}` && r.type === 'text/plain; charset=utf-8')).toBe(true);
    const after = await posts();
    const delta = (outcome: string) => (sampleValue(after, 'auditql_ledger_checkpoint_posts_total', { outcome }) ?? 0) - (sampleValue(before, 'auditql_ledger_checkpoint_posts_total', { outcome }) ?? 0);
    expect([delta('delivered'), delta('retried'), delta('failed')]).toEqual([2, 1, 0]);

    answers.push(400);
    await writeOne(sink);
    await until('the refused one', () => received.length === 4);
    await sealer.poster!.idle();
    const last = await posts();
    expect((sampleValue(last, 'auditql_ledger_checkpoint_posts_total', { outcome: 'failed' }) ?? 0) - (sampleValue(after, 'auditql_ledger_checkpoint_posts_total', { outcome: 'failed' }) ?? 0)).toBe(1);
    expect(log.some((m) => /gave up on checkpoint \d+ after 1 attempt\(s\): HTTP 400/.test(m))).toBe(true);
    expect(log.join('\n')).not.toContain(TOKEN);
  });

  it('never holds a write back: the receiver does not answer, the sink goes on', async () => {
    const sealer = sealerTo(url, []);
    const sink = new WarehouseSink(w.pool, settleAttribution, sealer);
    const seen = received.length;
    answers.push(0, 0);
    await writeOne(sink);
    await until('the POST is waiting on the receiver', () => hung.length === 1);
    // The write returned while its checkpoint's POST hangs; the next one is not held back either.
    await writeOne(sink);
    const sizes = (await w.pool.query<{ n: number }>('select count(*)::int as n from auditql.ledger_checkpoints')).rows[0]!.n;
    expect(sizes).toBe(5);
    expect(received.length).toBe(seen + 1);
  });
});
