/**
 * `GET /readyz` against a warehouse this test owns: a separately started embedded PostgreSQL with its own
 * data directory (never the shared test server), stopped and started again under a running API server.
 * `/healthz` stays liveness of the process; `/readyz` flips to 503 and back.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { silentLogger } from '../../src/log.js';
import { ensureDatabase } from '../../src/warehouse/connect.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { freePort, startEmbedded, type EmbeddedServer } from '../../src/warehouse/embedded.js';
import { migrate } from '../../src/warehouse/migrate.js';
import { createDatabase } from '../helpers/db.js';
import { probeUntil } from '../helpers/until.js';

let dir: string;
let port: number;
let pg: EmbeddedServer | undefined;
let w: WarehouseDb;
let api: ApiServer;

const readyz = async (base: string) => {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auditql-readyz-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user and must reach the data directory
  port = await freePort();
  pg = await startEmbedded({ dataDir: join(dir, 'data'), port });
  await ensureDatabase(pg.url('postgres'), 'readyz');
  w = openWarehouse(pg.url('readyz'));
  await migrate(w.pool);
  api = await startApiServer({ auth: { mode: 'none' }, warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, subscriptions: false });
});
afterAll(async () => {
  await api?.close();
  await w?.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('/readyz', () => {
  it('is 503 while the warehouse is down and 200 again when it returns', async () => {
    const base = api.url.replace(/\/graphql$/, '');
    expect(await readyz(base)).toEqual({ status: 200, body: { status: 'ready', checks: { warehouse: 'ok' } } });

    await pg!.stop();
    pg = undefined;
    const down = await probeUntil('not ready', () => readyz(base), (r) => r.status === 503);
    expect(down.body).toEqual({ status: 'not ready', checks: { warehouse: 'unreachable' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(503); // liveness of the API: it says the warehouse is gone

    pg = await startEmbedded({ dataDir: join(dir, 'data'), port });
    const up = await probeUntil('ready again', () => readyz(base), (r) => r.status === 200);
    expect(up.body.checks).toEqual({ warehouse: 'ok' });
  });

  it('is 503 on a warehouse whose migrations are not applied, naming them', async () => {
    const db = await createDatabase();
    const bare = openWarehouse(db.url);
    const s = await startApiServer({ auth: { mode: 'none' }, warehouse: bare, port: 0, host: '127.0.0.1', log: silentLogger, subscriptions: false });
    try {
      const r = await readyz(s.url.replace(/\/graphql$/, ''));
      expect(r.status).toBe(503);
      expect(r.body.checks.warehouse).toMatch(/^migrations pending: 001_warehouse\.sql, /);
    } finally {
      await s.close();
      await bare.close();
      await db.drop();
    }
  });
});
