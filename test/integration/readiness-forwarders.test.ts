/**
 * Forwarders in `/readyz` (docs/operations.md "Probes"): a forwarder whose destination fails shows in the
 * `forwarders` check by name and code, and the answer stays 200 with status "degraded" (the API and ingest
 * never wait on a forwarder); when the destination takes the batch again the check is back to "ok".
 * Against a real warehouse, a real API server and a real HTTP receiver that refuses until told otherwise.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { probeUntil } from '../helpers/until.js';
import { mkChange, store } from '../graphql/seed.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { Forwarder } from '../../src/siem/forward/forwarder.js';
import { httpWebhook } from '../../src/siem/forward/http-webhook.js';
import { EVERYTHING } from '../../src/siem/feed-events.js';
import { BUILTIN_POLICY } from '../../src/policy/load-policy.js';
import { roleView } from '../../src/policy/role-view.js';
import { createTelemetry } from '../../src/metrics/telemetry.js';
import { readiness, type ReadinessCheck } from '../../src/health/readiness.js';
import { silentLogger } from '../../src/log.js';

let w: TestWarehouse;
let receiver: Server;
let api: ApiServer;
let accepting = false;
let received = 0;

beforeAll(async () => {
  w = await freshWarehouse();
  await store(w, [mkChange({ table: 'orders', key: { id: 1 }, before: null, after: { id: 1 }, operation: 'INSERT' })]);
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (accepting) received++;
      res.writeHead(accepting ? 200 : 503).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await api?.close();
  await new Promise((r) => receiver?.close(r));
  await w?.destroy();
});

const readyz = async () => {
  const res = await fetch(`${api.url.replace(/\/graphql$/, '')}/readyz`);
  return { code: res.status, ...((await res.json()) as { status: string; checks: Record<string, string> }) };
};

it('a failing forwarder degrades readiness, by name and code, and recovers', async () => {
  const telemetry = createTelemetry();
  api = await startApiServer({
    auth: { mode: 'none' }, warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, subscriptions: false,
    readiness: [telemetry.forward.readiness()],
  });
  expect(await readyz()).toEqual({ code: 200, status: 'ready', checks: { warehouse: 'ok', forwarders: 'ok' } });
  const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const f = new Forwarder({
    name: 'hook', db: w.db, destination: httpWebhook({ url, secret: null, body: 'lines' }), destinationKind: 'http', format: 'json',
    filter: EVERYTHING, view: roleView(BUILTIN_POLICY, 'admin')!, log: silentLogger, flushMs: 20,
    observer: telemetry.forward.observer('hook', w.db),
  });
  void f.start();
  try {
    const failing = await probeUntil('the forwarder failing in /readyz', readyz, (r) => r.checks['forwarders'] !== 'ok');
    expect(failing.code).toBe(200);
    expect(failing.status).toBe('degraded');
    expect(failing.checks['warehouse']).toBe('ok');
    expect(failing.checks['forwarders']).toMatch(/^hook: failing for \d+ s \(HTTP_503\)$/);
    accepting = true;
    const back = await probeUntil('the forwarder recovered in /readyz', readyz, (r) => r.checks['forwarders'] === 'ok');
    expect(back).toEqual({ code: 200, status: 'ready', checks: { warehouse: 'ok', forwarders: 'ok' } });
    expect(received).toBeGreaterThan(0);
  } finally {
    await f.stop();
  }
});

it('a check that only degrades never makes the process ready when another check fails', async () => {
  const check = (name: string, reason: string | null, degradesOnly = false): ReadinessCheck => ({ name, degradesOnly, check: async () => reason });
  expect(await readiness([check('warehouse', 'unreachable'), check('forwarders', 'x: stopped', true)]))
    .toEqual({ ready: false, degraded: false, checks: { warehouse: 'unreachable', forwarders: 'x: stopped' } });
  expect(await readiness([check('warehouse', null), check('forwarders', 'x: stopped', true)]))
    .toEqual({ ready: true, degraded: true, checks: { warehouse: 'ok', forwarders: 'x: stopped' } });
});
