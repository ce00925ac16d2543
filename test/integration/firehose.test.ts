/**
 * The Firehose HTTP endpoint (docs/sources/firehose.md "The protocol") over real HTTP on 127.0.0.1 and a real warehouse: requests
 * built the way Firehose builds them, carrying real encrypted DAS Kinesis records (test/fixtures/das and
 * test/helpers/das-crypto.ts), decrypted through the injected key provider.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { DAS_PLAINTEXT_KCAT, DAS_TEST_RESOURCE_ID, encryptedKinesisRecord, testKeyProvider } from '../helpers/das-crypto.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { decodeContext } from '../../src/decoders/context.js';
import type { Decoder } from '../../src/decoders/decoder.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import type { FirehoseEndpoint } from '../../src/sources/firehose/endpoint.js';
import { InflightDeliveries } from '../../src/sources/firehose/inflight-deliveries.js';
import { firehoseRouter, type FirehoseRouterOptions } from '../../src/sources/firehose/firehose-router.js';
import { deliveryStore } from '../../src/ingest/deliveries.js';
import type { Logger } from '../../src/log.js';

/** The endpoint as `auditql serve` attaches it when Firehose sources are configured. */
const firehoseRoute = (o: Omit<FirehoseRouterOptions, 'log'>) => (log: Logger) => firehoseRouter({ ...o, log });

const FIXTURES = fileURLToPath(new URL('../fixtures/das/', import.meta.url));
const fixtureLines = (name: string) => readFileSync(FIXTURES + name, 'utf8').split('\n').filter((l) => l.trim() !== '');
const expectedOf = (name: string) => JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as { events: { command: string; dbUser: string }[] };

const SOURCE = 'das-prod';
const ACCESS_KEY = 'auditql-test-firehose-access-key-7f3a9c';
const SOURCE_ARN = 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/das-to-auditql';
const COMMON_ATTRIBUTES = '{"commonAttributes":{"env":"prod","team":"payments"}}';
/** Small, so the 413 tests need no 64 MiB bodies; the default is Firehose's 64 MiB. */
const MAX_BODY = 256 * 1024;

let w: TestWarehouse;
let api: ApiServer;
let disabled: ApiServer;
let broken: ApiServer;
/** A second API process on the same warehouse (replicas share nothing but PostgreSQL). */
let twin: ApiServer;
let deadPool: pg.Pool;
let das: Decoder;

const baseOf = (s: ApiServer) => s.url.replace(/\/graphql$/, '');

function endpoint(): FirehoseEndpoint {
  return { name: SOURCE, accessKey: ACCESS_KEY, decoder: das, ctx: decodeContext({ dasResourceId: DAS_TEST_RESOURCE_ID, keyProvider: testKeyProvider() }) };
}

beforeAll(async () => {
  w = await freshWarehouse();
  das = await loadDecoder('das');
  api = await startApiServer({
    warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1',
    routes: [firehoseRoute({ endpoints: [endpoint()], store: deliveryStore(new WarehouseSink(w.pool, settleAttribution)), maxBodyBytes: MAX_BODY })],
  });
  disabled = await startApiServer({ warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1' });
  twin = await startApiServer({
    warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1',
    routes: [firehoseRoute({ endpoints: [endpoint()], store: deliveryStore(new WarehouseSink(w.pool, settleAttribution)) })],
  });
  // A warehouse that is down: nothing listens on port 1.
  deadPool = new pg.Pool({ connectionString: 'postgres://auditql@127.0.0.1:1/auditql', connectionTimeoutMillis: 2000 });
  deadPool.on('error', () => {});
  broken = await startApiServer({
    warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1',
    routes: [firehoseRoute({ endpoints: [endpoint()], store: deliveryStore(new WarehouseSink(deadPool, settleAttribution)) })],
  });
});

afterAll(async () => {
  await api?.close();
  await disabled?.close();
  await twin?.close();
  await broken?.close();
  await deadPool?.end();
  await w?.destroy();
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: { requestId?: unknown; timestamp?: unknown; errorMessage?: unknown };
}

interface PostOptions {
  readonly server?: ApiServer;
  readonly source?: string;
  readonly requestId?: string | null;
  readonly accessKey?: string | null;
  readonly gzip?: boolean;
  /** Send without Content-Length (chunked), so limits are enforced while reading. */
  readonly chunked?: boolean;
  readonly headers?: Record<string, string>;
}

/** POST as Firehose does (docs/sources/firehose.md "The protocol", request headers). */
function post(body: Buffer | string, o: PostOptions = {}): Promise<Reply> {
  const url = new URL(`${baseOf(o.server ?? api)}/ingest/firehose/${o.source ?? SOURCE}`);
  let bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (o.gzip) bytes = gzipSync(bytes);
  const headers: Record<string, string | number> = {
    'X-Amz-Firehose-Protocol-Version': '1.0',
    'Content-Type': 'application/json',
    'X-Amz-Firehose-Source-Arn': SOURCE_ARN,
    'X-Amz-Firehose-Common-Attributes': COMMON_ATTRIBUTES,
    ...(o.requestId ? { 'X-Amz-Firehose-Request-Id': o.requestId } : {}),
    ...(o.accessKey === null ? {} : { 'X-Amz-Firehose-Access-Key': o.accessKey ?? ACCESS_KEY }),
    ...(o.gzip ? { 'Content-Encoding': 'gzip' } : {}),
    ...(o.chunked ? {} : { 'Content-Length': bytes.length }),
    ...o.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = {};
        try { json = JSON.parse(text); } catch { /* asserted by the caller */ }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.chunked) {
      for (let i = 0; i < bytes.length; i += 16 * 1024) req.write(bytes.subarray(i, i + 16 * 1024));
      req.end();
    } else {
      req.end(bytes);
    }
  });
}

/** A delivery body exactly as docs/sources/firehose.md "The protocol" shows it: each record's bytes base64 in `data`. */
function deliveryBody(requestId: string, records: readonly (string | Buffer)[]): string {
  return JSON.stringify({ requestId, timestamp: Date.now(), records: records.map((r) => ({ data: Buffer.from(r).toString('base64') })) });
}

async function deliverTwice(records: readonly (string | Buffer)[], o: PostOptions = {}) {
  const requestId = randomUUID();
  const body = deliveryBody(requestId, records);
  const first = await post(body, { ...o, requestId });
  const second = await post(body, { ...o, requestId });
  return { requestId, first, second };
}

async function activityOf(requestId: string) {
  const r = await w.pool.query<{ position: string; command: string; db_user: string; class: string }>(
    `select position, command, db_user, class from auditql.activity where source = $1 and position like $2 order by position`,
    [SOURCE, `firehose:${requestId}/%`],
  );
  return r.rows;
}

async function deliveriesOf(requestId: string) {
  const r = await w.pool.query<{ records: number }>('select records from auditql.deliveries where source = $1 and request_id = $2', [SOURCE, requestId]);
  return r.rows;
}

async function deadLettersOf(requestId: string) {
  const r = await w.pool.query<{ position: string; error_code: string; error_message: string; raw_value: Buffer; headers: Record<string, string>; format: string }>(
    `select position, error_code, error_message, raw_value, headers, format from auditql.dead_letters where source = $1 and position like $2 order by position`,
    [SOURCE, `firehose:${requestId}/%`],
  );
  return r.rows;
}

function expectFirehoseReply(reply: Reply, status: number, requestId: string, failed: boolean) {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json');
  expect(reply.headers['content-encoding']).toBeUndefined();
  expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(reply.text));
  expect(reply.json.requestId).toBe(requestId);
  expect(typeof reply.json.timestamp).toBe('number');
  expect(Math.abs((reply.json.timestamp as number) - Date.now())).toBeLessThan(60_000);
  if (failed) {
    expect(Object.keys(reply.json).sort()).toEqual(['errorMessage', 'requestId', 'timestamp']);
    expect(typeof reply.json.errorMessage).toBe('string');
    expect(reply.text).not.toContain(ACCESS_KEY);
  } else {
    expect(Object.keys(reply.json).sort()).toEqual(['requestId', 'timestamp']);
  }
}

describe('Firehose HTTP endpoint: POST /ingest/firehose/:source', () => {
  it('stores each event of a real-format DAS delivery once when Firehose replays it (plain JSON)', async () => {
    const records = fixtureLines('encrypted-kinesis.jsonl'); // two encrypted Kinesis records: Aurora PG 1.1 and MySQL 1.2
    const expected = expectedOf('encrypted-kinesis.expected.json').events;
    const { requestId, first, second } = await deliverTwice(records);
    expectFirehoseReply(first, 200, requestId, false);
    expectFirehoseReply(second, 200, requestId, false);

    const rows = await activityOf(requestId);
    expect(rows).toHaveLength(expected.length);
    expect(new Set(rows.map((r) => r.position)).size).toBe(rows.length);
    expect(rows.map((r) => r.command).sort()).toEqual(expected.map((e) => e.command).sort());
    expect(rows.every((r) => r.position.startsWith(`firehose:${requestId}/`))).toBe(true);
    expect(await deliveriesOf(requestId)).toEqual([{ records: 2 }]);
    expect(await deadLettersOf(requestId)).toEqual([]);
  });

  it('stores each event once when a gzip delivery is replayed (Content-Encoding: gzip), records encrypted with das-crypto', async () => {
    const record = await encryptedKinesisRecord(DAS_PLAINTEXT_KCAT, { version: '1.1' });
    const { requestId, first, second } = await deliverTwice([record], { gzip: true });
    expectFirehoseReply(first, 200, requestId, false);
    expectFirehoseReply(second, 200, requestId, false);
    const rows = await activityOf(requestId);
    expect(rows).toEqual([{ position: `firehose:${requestId}/0`, command: 'DELETE', db_user: 'janitor', class: 'WRITE' }]);
    expect(await deliveriesOf(requestId)).toEqual([{ records: 1 }]);
  });

  it('stores a delivery once when copies of it arrive at the same time, at one process or at two', async () => {
    const requestId = randomUUID();
    const body = deliveryBody(requestId, fixtureLines('encrypted-kinesis.jsonl'));
    const replies = await Promise.all([
      post(body, { requestId }),
      post(body, { requestId, gzip: true }), // joins the attempt in progress
      post(body, { requestId, server: twin }), // waits on the first attempt's deliveries row
    ]);
    for (const r of replies) expectFirehoseReply(r, 200, requestId, false);
    expect(await activityOf(requestId)).toHaveLength(expectedOf('encrypted-kinesis.expected.json').events.length);
    expect(await deliveriesOf(requestId)).toHaveLength(1);
  });

  it('dead-letters an undecryptable record with its bytes and the Firehose headers, and still answers 200', async () => {
    const wrongKey = readFileSync(FIXTURES + 'encrypted-wrong-key.json', 'utf8').trim();
    const good = await encryptedKinesisRecord(DAS_PLAINTEXT_KCAT, { version: '1.1' });
    const { requestId, first, second } = await deliverTwice([wrongKey, good]);
    expectFirehoseReply(first, 200, requestId, false);
    expectFirehoseReply(second, 200, requestId, false);

    const dead = await deadLettersOf(requestId);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ position: `firehose:${requestId}/0`, error_code: 'AUDITQL_DECRYPTION_FAILED', format: 'das' });
    expect(dead[0]!.raw_value.toString('utf8')).toBe(wrongKey);
    expect(dead[0]!.headers).toEqual({
      'x-amz-firehose-request-id': requestId,
      'x-amz-firehose-source-arn': SOURCE_ARN,
      'x-amz-firehose-common-attributes': COMMON_ATTRIBUTES,
      'x-amz-firehose-protocol-version': '1.0',
    });
    expect(JSON.stringify(dead[0]!.headers)).not.toContain(ACCESS_KEY);
    expect(await activityOf(requestId)).toEqual([{ position: `firehose:${requestId}/1`, command: 'DELETE', db_user: 'janitor', class: 'WRITE' }]);
  });

  it('skips heartbeat-only and empty records without dead letters', async () => {
    const { requestId, first } = await deliverTwice([fixtureLines('heartbeat-only.jsonl')[0]!, '']);
    expectFirehoseReply(first, 200, requestId, false);
    expect(await activityOf(requestId)).toEqual([]);
    expect(await deadLettersOf(requestId)).toEqual([]);
    expect(await deliveriesOf(requestId)).toEqual([{ records: 2 }]);
  });

  it('accepts a delivery without the request-id header, using the body requestId', async () => {
    const requestId = randomUUID();
    const reply = await post(deliveryBody(requestId, [fixtureLines('heartbeat-only.jsonl')[0]!]), { requestId: null });
    expectFirehoseReply(reply, 200, requestId, false);
    expect(await deliveriesOf(requestId)).toEqual([{ records: 1 }]);
  });

  it('answers 401 with a Firehose body to a wrong or missing access key, and stores nothing', async () => {
    const requestId = randomUUID();
    const body = deliveryBody(requestId, fixtureLines('encrypted-kinesis.jsonl'));
    const wrong = await post(body, { requestId, accessKey: ACCESS_KEY.slice(0, -1) + 'X' });
    expectFirehoseReply(wrong, 401, requestId, true);
    expect(wrong.json.errorMessage).toMatch(/access.key/i);
    const longer = await post(body, { requestId, accessKey: ACCESS_KEY + 'extra' });
    expectFirehoseReply(longer, 401, requestId, true);
    const missing = await post(body, { requestId, accessKey: null });
    expectFirehoseReply(missing, 401, requestId, true);
    expect(await activityOf(requestId)).toEqual([]);
    expect(await deliveriesOf(requestId)).toEqual([]);
    expect(await deadLettersOf(requestId)).toEqual([]);
  });

  it('answers 404 for a source that is not configured', async () => {
    const requestId = randomUUID();
    const reply = await post(deliveryBody(requestId, ['']), { requestId, source: 'not-configured' });
    expectFirehoseReply(reply, 404, requestId, true);
  });

  it('is disabled (404 for every source) when no access key is configured', async () => {
    const requestId = randomUUID();
    const reply = await post(deliveryBody(requestId, ['']), { requestId, server: disabled });
    expect(reply.status).toBe(404);
    const other = await post(deliveryBody(requestId, ['']), { requestId, server: disabled, source: 'firehose' });
    expect(other.status).toBe(404);
    expect(await deliveriesOf(requestId)).toEqual([]);
  });

  it('answers 413 above the body limit: by Content-Length, while reading a chunked body, and for a gzip bomb', async () => {
    const requestId = randomUUID();
    const big = deliveryBody(requestId, ['x'.repeat(MAX_BODY)]);
    expectFirehoseReply(await post(big, { requestId }), 413, requestId, true);
    expectFirehoseReply(await post(big, { requestId, chunked: true }), 413, requestId, true);
    // ~1 KiB on the wire, 4 MiB inflated: refused while inflating, never held whole.
    const bomb = gzipSync(Buffer.concat([Buffer.from(`{"requestId":"${requestId}","records":[{"data":"`), Buffer.alloc(4 * 1024 * 1024, 'A'), Buffer.from('"}]}')]));
    expect(bomb.length).toBeLessThan(16 * 1024);
    const reply = await post(bomb, { requestId, headers: { 'Content-Encoding': 'gzip' } });
    expectFirehoseReply(reply, 413, requestId, true);
    expect(await deliveriesOf(requestId)).toEqual([]);
    // The endpoint still serves after refusing.
    const ok = await post(deliveryBody(requestId, ['']), { requestId });
    expectFirehoseReply(ok, 200, requestId, false);
  });

  it('answers 415 with a Firehose body to any Content-Type but application/json, and stores nothing', async () => {
    const requestId = randomUUID();
    const body = deliveryBody(requestId, fixtureLines('encrypted-kinesis.jsonl'));
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonl', 'application/json-seq', 'multipart/form-data; boundary=x', '']) {
      const reply = await post(body, { requestId, headers: { 'Content-Type': type } });
      expect(reply.status, type).toBe(415);
      expectFirehoseReply(reply, 415, requestId, true);
      expect(reply.json.errorMessage).toBe('unsupported Content-Type: expected application/json');
    }
    expect(await activityOf(requestId)).toEqual([]);
    expect(await deliveriesOf(requestId)).toEqual([]);
    expect(await deadLettersOf(requestId)).toEqual([]);
    // what Firehose sends, in any case and with parameters, is accepted
    const ok = await post(body, { requestId, headers: { 'Content-Type': 'Application/JSON; charset=utf-8' } });
    expectFirehoseReply(ok, 200, requestId, false);
    expect(await deliveriesOf(requestId)).toEqual([{ records: 2 }]);
  });

  it('answers 400 to malformed deliveries, echoing the request id', async () => {
    const requestId = randomUUID();
    const cases: [string, Buffer | string, PostOptions?][] = [
      ['not JSON', '{"requestId": "' + requestId + '", "records": ['],
      ['not an object', '[]'],
      ['no records', JSON.stringify({ requestId, timestamp: Date.now() })],
      ['records not an array', JSON.stringify({ requestId, records: {} })],
      ['data missing', JSON.stringify({ requestId, records: [{}] })],
      ['data not base64', JSON.stringify({ requestId, records: [{ data: 'not base64!' }] })],
      ['no requestId', JSON.stringify({ records: [] })],
      ['request ids differ', JSON.stringify({ requestId: randomUUID(), records: [] })],
      ['not gzip', 'plain text, not gzip', { headers: { 'Content-Encoding': 'gzip' } }],
      ['unknown encoding', deliveryBody(requestId, []), { headers: { 'Content-Encoding': 'br' } }],
    ];
    for (const [what, body, o] of cases) {
      const reply = await post(body, { requestId, ...o });
      expect(reply.status, what).toBe(400);
      expectFirehoseReply(reply, 400, requestId, true);
    }
    expect(await deliveriesOf(requestId)).toEqual([]);
  });

  it('answers 500 and acknowledges nothing while the warehouse is down; the retry then stores each event once', async () => {
    const records = fixtureLines('encrypted-kinesis.jsonl');
    const requestId = randomUUID();
    const body = deliveryBody(requestId, records);
    const down = await post(body, { requestId, server: broken });
    expectFirehoseReply(down, 500, requestId, true);
    expect(down.json.errorMessage).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|select|insert/i);
    expect(await deliveriesOf(requestId)).toEqual([]);
    expect(await activityOf(requestId)).toEqual([]);

    // Firehose retries with the same request id, now reaching a warehouse that is up.
    const retried = await post(body, { requestId });
    expectFirehoseReply(retried, 200, requestId, false);
    const again = await post(body, { requestId });
    expectFirehoseReply(again, 200, requestId, false);
    expect(await activityOf(requestId)).toHaveLength(expectedOf('encrypted-kinesis.expected.json').events.length);
    expect(await deliveriesOf(requestId)).toEqual([{ records: 2 }]);
  });
});

describe('InflightDeliveries', () => {
  it('gives a copy that arrives during an attempt that attempt\'s result, and retries on its own after a failure', async () => {
    const inflight = new InflightDeliveries<string>();
    let open!: (v: string) => void;
    const first = inflight.run('s', 'r1', () => new Promise<string>((r) => { open = r; }));
    let secondRan = false;
    const second = inflight.run('s', 'r1', async () => { secondRan = true; return 'second'; });
    const other = await inflight.run('s', 'r2', async () => 'other'); // another request id does not wait
    expect(other).toEqual({ result: 'other', joined: false });
    open('first');
    expect(await first).toEqual({ result: 'first', joined: false });
    expect(await second).toEqual({ result: 'first', joined: true });
    expect(secondRan).toBe(false);

    let fail!: (e: Error) => void;
    const failing = inflight.run('s', 'r3', () => new Promise<string>((_, reject) => { fail = reject; }));
    const retry = inflight.run('s', 'r3', async () => 'own attempt');
    fail(new Error('warehouse down'));
    await expect(failing).rejects.toThrow('warehouse down');
    expect(await retry).toEqual({ result: 'own attempt', joined: false });
    expect(await inflight.run('s', 'r1', async () => 'later')).toEqual({ result: 'later', joined: false }); // finished attempts are forgotten
  });
});
