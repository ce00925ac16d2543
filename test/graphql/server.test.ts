/** The HTTP server itself: health, GraphiQL mounted before Apollo, graceful close, the attachment seam. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postGraphql, startTestApi, type TestApi } from './helpers.js';
import { mkChange, store } from './seed.js';
import { createDatabase } from '../helpers/db.js';
import { openWarehouse } from '../../src/warehouse/db.js';
import { AUTH_NONE_WARNING, startApiServer } from '../../src/graphql/server.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
  await store(t.w, [mkChange({ key: { id: 1 }, before: { id: 1, v: 0 }, after: { id: 1, v: 1 } })]);
});
afterAll(async () => {
  await t?.close();
});

const base = () => t.url.replace(/\/graphql$/, '');

describe('HTTP server', () => {
  it('listens where it says', () => {
    expect(t.url).toBe(`http://127.0.0.1:${t.api.port}/graphql`);
    expect(t.api.schema.getQueryType()?.name).toBe('Query');
  });

  it('reports health', async () => {
    const r = await fetch(`${base()}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok', warehouse: 'ok', auth: 'none', warning: AUTH_NONE_WARNING });
  });

  it('reports an unmigrated warehouse as unhealthy', async () => {
    const d = await createDatabase();
    const w = openWarehouse(d.url);
    const api = await startApiServer({ warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1' });
    try {
      const r = await fetch(api.url.replace('/graphql', '/healthz'));
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: 'unavailable', warehouse: 'not migrated', auth: 'none', warning: AUTH_NONE_WARNING });
    } finally {
      await api.close();
      await w.close();
      await d.drop();
    }
  });

  it('gives browsers GraphiQL and API clients GraphQL on the same path; no Apollo landing page', async () => {
    const html = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).not.toMatch(/apollographql|embeddable-sandbox|cdn\./i);
    const get = await fetch(`${t.url}?query=${encodeURIComponent('{ changes(first: 1) { nodes { id } } }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { data: { changes: { nodes: unknown[] } } }).data.changes.nodes).toHaveLength(1);
  });

  it('answers malformed, oversized and misdirected requests in JSON, without stack traces', async () => {
    const post = (body: string) => fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const [r, status, message] of [
      [await post('{not json'), 400, 'the request body is not valid JSON'],
      [await post(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(300_000)}` })), 413, 'the request body is larger than 256kb'],
      [await fetch(`${base()}/nope`), 404, 'not found: GraphQL is at /graphql'],
    ] as const) {
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      const text = await r.text();
      expect(JSON.parse(text)).toEqual({ errors: [{ message, extensions: { code: 'AUDITQL_BAD_INPUT' } }] });
      expect(text).not.toMatch(/node_modules|at \w+ \(/);
    }
  });

  it('drains in-flight requests on close, then stops accepting', async () => {
    const extra = await startTestApi({ warehouse: undefined });
    await store(extra.w, [mkChange({ key: { id: 1 }, after: { id: 1 }, operation: 'INSERT' })]);
    // hold a lock the actor lookup needs, so a request is in flight when close() starts
    const locker = new pg.Client({ connectionString: extra.w.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE auditql.attributions IN ACCESS EXCLUSIVE MODE');
    try {
      const inflight = postGraphql<{ changes: { nodes: { actor: unknown }[] } }>(extra.url, '{ changes { nodes { id actor { dbUser } } } }');
      await waitFor(async () => (await locker.query(`select count(*)::int as n from pg_locks where not granted`)).rows[0].n > 0);
      let closed = false;
      const closing = extra.api.close().then(() => { closed = true; });
      await new Promise((r) => setTimeout(r, 100));
      expect(closed).toBe(false);
      await expect(fetch(`${extra.url.replace('/graphql', '/healthz')}`)).rejects.toThrow();
      await locker.query('COMMIT');
      const r = await inflight;
      expect(r.status).toBe(200);
      expect(r.data?.changes.nodes).toEqual([{ id: expect.any(String), actor: null }]);
      await closing;
      expect(closed).toBe(true);
    } finally {
      await locker.end();
      await extra.w.destroy();
    }
  });

  it('starts attachments on the same server and path, and closes them first', async () => {
    const events: string[] = [];
    const api = await startApiServer({
      warehouse: t.w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1',
      attachments: [(s) => {
        events.push(`attach ${s.path} ${s.httpServer.listening ? 'listening' : 'not yet listening'} ${typeof s.context().loaders.actor.load}`);
        return { close: async () => void events.push('close') };
      }],
    });
    await api.close();
    expect(events).toEqual(['attach /graphql not yet listening function', 'close']);
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
