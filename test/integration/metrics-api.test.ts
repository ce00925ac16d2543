/**
 * API metrics scraped from the API server's own GET /metrics while real clients query over HTTP and
 * subscribe over graphql-ws: request durations by (bounded) operation name and outcome, DataLoader batch
 * sizes, open subscriptions, and slow-subscriber closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { silentLogger } from '../../src/log.js';
import { createTelemetry, type Telemetry } from '../../src/metrics/telemetry.js';
import type { AuditEvent } from '../../src/model/events.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { sampleSum, sampleValue, scrape } from '../helpers/prom-text.js';
import { probeUntil, until } from '../helpers/until.js';
import { postGraphql } from '../graphql/helpers.js';
import { mkChange } from '../graphql/seed.js';

/** A `ws` WebSocket whose reading can be paused: a client that stops reading its socket. */
class PausedReader extends WebSocket {
  static last: PausedReader | null = null;
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    PausedReader.last = this;
  }
}

let w: TestWarehouse;
let api: ApiServer;
let telemetry: Telemetry;
let metricsUrl: string;

const write = (events: readonly AuditEvent[]) => new WarehouseSink(w.pool).write({ source: 'writer', events, deadLetters: [], checkpoints: [] });

beforeAll(async () => {
  w = await freshWarehouse();
  telemetry = createTelemetry();
  api = await startApiServer({ auth: { mode: 'none' },
    warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, telemetry,
    subscriptions: { feed: { pollMs: 200, queueLimit: 8, stallMs: 400, pageSize: 50 } },
  });
  metricsUrl = api.url.replace(/\/graphql$/, '/metrics');
});
afterAll(async () => {
  await api?.close();
  await w?.destroy();
});

const requests = (m: Awaited<ReturnType<typeof scrape>>, operation: string, outcome: string) =>
  sampleSum(m, 'auditql_api_request_duration_seconds_count', { operation, outcome });

describe('API metrics', () => {
  it('time each request by operation name and outcome, with client-chosen names bounded', async () => {
    await write(Array.from({ length: 3 }, (_, i) => mkChange({ table: 'm', key: { id: i } })));
    const ok = await postGraphql<{ changes: { edges: unknown[] } }>(api.url, 'query RecentChanges { changes(first: 5) { edges { node { id actor { dbUser } } } } }');
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.changes.edges).toHaveLength(3);
    const long = 'Q' + 'x'.repeat(70);
    await postGraphql(api.url, `query ${long} { changes(first: 1) { edges { cursor } } }`);
    const bad = await postGraphql(api.url, 'query TooMany { changes(first: 100000) { edges { cursor } } }');
    expect(bad.errors?.length).toBeGreaterThan(0);
    await postGraphql(api.url, '{ changes(first: 1) { edges { cursor } } }');

    const m = await scrape(metricsUrl);
    expect(requests(m, 'RecentChanges', 'ok')).toBe(1);
    expect(sampleValue(m, 'auditql_api_request_duration_seconds_count', { operation: 'RecentChanges', type: 'query', outcome: 'ok' })).toBe(1);
    expect(requests(m, 'other', 'ok')).toBe(1);
    expect(requests(m, 'TooMany', 'error')).toBe(1);
    expect(requests(m, 'anonymous', 'ok')).toBe(1);
    expect(JSON.stringify([...m.values()])).not.toContain(long);
    // One actor batch for the page of three changes.
    expect(sampleValue(m, 'auditql_api_dataloader_batch_size_count', { loader: 'actor' })).toBe(1);
    expect(sampleValue(m, 'auditql_api_dataloader_batch_size_sum', { loader: 'actor' })).toBe(3);
    expect(sampleValue(m, 'auditql_warehouse_up')).toBe(1);
  });

  it('count open subscriptions as clients come and go', async () => {
    const c = connect(api.url);
    const a = subscribe(c.client, 'subscription { changeAdded(filter: {table: "open-a"}) { id } }');
    const b = subscribe(c.client, 'subscription { changeAdded(filter: {table: "open-b"}) { id } }');
    await probeUntil('two open subscriptions', () => scrape(metricsUrl), (m) => sampleValue(m, 'auditql_api_subscriptions_open') === 2);
    // A subscription joins its group once it has read the head: open at once, grouped a moment later.
    await probeUntil('two groups', () => scrape(metricsUrl), (m) => sampleValue(m, 'auditql_api_subscription_groups') === 2);
    a.dispose();
    await probeUntil('one open subscription', () => scrape(metricsUrl), (m) => sampleValue(m, 'auditql_api_subscriptions_open') === 1);
    b.dispose();
    await probeUntil('none open', () => scrape(metricsUrl), (m) => sampleValue(m, 'auditql_api_subscriptions_open') === 0);
    await c.client.dispose();
  });

  it('count a subscriber closed as too slow', async () => {
    const before = sampleValue(await scrape(metricsUrl), 'auditql_api_slow_subscriber_closes_total');
    expect(before).toBe(0);
    const c = connect(api.url, { webSocketImpl: PausedReader });
    const s = subscribe(c.client, 'subscription { changeAdded(filter: {table: "slow"}) { id after } }');
    await probeUntil('the subscription', () => scrape(metricsUrl), (m) => sampleValue(m, 'auditql_api_subscriptions_open') === 1);
    const big = 'x'.repeat(20_000);
    await write([mkChange({ table: 'slow', key: { id: 0 }, after: { id: 0, blob: big } })]);
    await until('the first row', () => s.results.length === 1);
    PausedReader.last!.pause();
    for (let i = 1; i <= 1000; i += 50) {
      await write(Array.from({ length: 50 }, (_, j) => mkChange({ table: 'slow', key: { id: i + j }, after: { id: i + j, blob: big } })));
    }
    const m = await probeUntil('the close in the metrics', () => scrape(metricsUrl), (x) => sampleValue(x, 'auditql_api_slow_subscriber_closes_total') === 1);
    expect(sampleValue(m, 'auditql_api_subscriptions_open')).toBe(0);
    PausedReader.last!.resume();
    await until('the close', () => c.closed.length > 0);
    expect(c.closed[0]!.code).toBe(4429);
    await c.client.dispose();
  });

  it("sample each subscription's backlog at scrape: the paused one's queue full, the reading one's empty, drained on resume", async () => {
    const patient = await startApiServer({ auth: { mode: 'none' },
      warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, telemetry: createTelemetry(),
      subscriptions: { feed: { pollMs: 200, queueLimit: 8, stallMs: 120_000, pageSize: 50 } },
    });
    const url = patient.url.replace(/\/graphql$/, '/metrics');
    try {
      const reading = connect(patient.url);
      const r = subscribe(reading.client, 'subscription { changeAdded(filter: {table: "backlog"}) { id } }');
      const paused = connect(patient.url, { webSocketImpl: PausedReader });
      const p = subscribe(paused.client, 'subscription { changeAdded(filter: {table: "backlog"}) { id after } }');
      await probeUntil('two subscriptions', () => scrape(url), (m) => sampleValue(m, 'auditql_api_subscriptions_open') === 2);
      const big = 'x'.repeat(20_000);
      await write([mkChange({ table: 'backlog', key: { id: 0 }, after: { id: 0, blob: big } })]);
      await until('the first row, both', () => r.results.length === 1 && p.results.length === 1);
      PausedReader.last!.pause();
      for (let i = 1; i <= 300; i += 50) {
        await write(Array.from({ length: 50 }, (_, j) => mkChange({ table: 'backlog', key: { id: i + j }, after: { id: i + j, blob: big } })));
      }
      await until('the reading one got everything', () => r.results.length === 301);
      // The paused client's socket is full, so its queue fills to the limit (8) and stays there.
      const m = await probeUntil('the paused backlog', () => scrape(url), (x) => sampleValue(x, 'auditql_api_subscription_backlog_max_events') === 8);
      expect(sampleValue(m, 'auditql_api_subscription_backlog_events')).toBe(8);
      expect(sampleValue(m, 'auditql_api_subscription_queue_limit_events')).toBe(8);
      expect(sampleValue(m, 'auditql_api_subscriptions_by_backlog', { le: '0' })).toBe(1);
      expect(sampleValue(m, 'auditql_api_subscriptions_by_backlog', { le: '10' })).toBe(2);
      expect(sampleValue(m, 'auditql_api_subscriptions_by_backlog', { le: '+Inf' })).toBe(2);
      expect(m.get('auditql_api_subscriptions_by_backlog')?.type).toBe('gauge');
      expect(sampleValue(m, 'auditql_api_slow_subscriber_closes_total')).toBe(0);

      PausedReader.last!.resume();
      await until('the paused one caught up', () => p.results.length === 301, 60_000);
      const after = await probeUntil('drained', () => scrape(url), (x) => sampleValue(x, 'auditql_api_subscription_backlog_max_events') === 0);
      expect(sampleValue(after, 'auditql_api_subscriptions_by_backlog', { le: '0' })).toBe(2);
      await Promise.all([reading.client.dispose(), paused.client.dispose()]);
      await probeUntil('none open', () => scrape(url), (x) => sampleValue(x, 'auditql_api_subscriptions_by_backlog', { le: '+Inf' }) === 0);
    } finally {
      await patient.close();
    }
  }, 90_000);
});
