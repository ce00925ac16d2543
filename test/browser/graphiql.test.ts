/**
 * GraphiQL served by auditql itself, offline (docs/graphiql.md). Over plain HTTP: the page, its CSP, its
 * assets and the fall-through to Apollo. In a real headless Debian chromium (playwright-core, never a
 * downloaded browser): the page loads with every request going to 127.0.0.1, nothing violates the
 * self-only CSP, and queries run — the preloaded example with Ctrl-Enter, and one we set, with the run
 * button — against the real server over a warehouse filled through the real sink.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { examples } from '../../src/graphql/examples.js';
import { change, type ChangeEvent } from '../../src/model/events.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { newApiKey } from '../../src/auth/api-key-secret.js';
import { insertApiKey } from '../../src/warehouse/queries/api-keys.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { loadAuthConfig } from '../../src/config/auth.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const NEW_EMAIL = 'ada.lovelace+graphiql-proof@example.com';

let w: TestWarehouse;
let server: ApiServer;
let origin: string;
let devKey: string;

const customer = (position: string, operation: 'INSERT' | 'UPDATE', before: ChangeEvent['before'], after: ChangeEvent['after'], minutesAgo: number): ChangeEvent =>
  change({
    format: 'debezium', position, operation, database: 'shop', schema: 'public', table: 'customers',
    key: { id: 1001 }, keySource: 'RECORD_KEY', before, after, beforeComplete: true, unknownBefore: [], unknownAfter: [],
    changedFields: operation === 'INSERT' ? Object.keys(after ?? {}) : ['email'], txId: position === 'p1' ? '570' : '571',
    txOrder: 1, committedAt: new Date(Date.now() - minutesAgo * 60_000), committedAtSource: 'SOURCE',
    origin: { server: 'shop', connection: null, user: null }, extra: { lsn: 1 },
  });

beforeAll(async () => {
  w = await freshWarehouse();
  const row = { id: 1001, name: 'Ada', email: 'ada@example.com' };
  await new WarehouseSink(w.pool).write({
    source: 'browser-test',
    events: [
      customer('p1', 'INSERT', null, row, 120),
      customer('p2', 'UPDATE', row, { ...row, email: NEW_EMAIL }, 10),
    ],
    deadLetters: [],
    checkpoints: [],
  });
  // As `npm start` runs it: authentication required, GraphiQL preloaded with a development admin key.
  const k = await newApiKey();
  await insertApiKey(w.db, { keyId: k.keyId, name: 'dev-admin', role: 'admin', secretHash: k.secretHash });
  devKey = k.key;
  const authenticator = createAuthenticator({ config: loadAuthConfig({}), db: w.db, roles: new Set(['admin']) });
  server = await startApiServer({
    warehouse: w, auth: { mode: 'verify', authenticator }, port: 0, host: '127.0.0.1', graphiqlHeaders: { Authorization: `Bearer ${devKey}` },
  });
  origin = new URL(server.url).origin;
});

afterAll(async () => {
  await server?.close();
  await w?.destroy();
});

async function page(accept: string): Promise<Response> {
  return fetch(server.url, { headers: { accept } });
}

/** A revalidation as a browser cache sends it (fetch() would add `cache-control: no-cache`). */
function revalidate(url: string, etag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'if-none-match': etag } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('GraphiQL over HTTP', () => {
  it('serves browsers a page whose CSP allows only this origin and whose assets are all local', async () => {
    const res = await page(BROWSER_ACCEPT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('vary')).toMatch(/accept/i);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-|https?:|\*/);
    const html = await res.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(7);
    for (const u of urls) expect(u).toMatch(/^(\/graphiql\/assets\/|data:,$)/);
    // No executable inline script: the only inline block is the JSON configuration.
    const inline = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)].filter((m) => m[2]!.trim() !== '');
    expect(inline.map((m) => m[1]!.trim())).toEqual(['type="application/json" id="auditql-config"']);
  });

  it('serves each asset with its content type, a long-lived immutable cache and an ETag', async () => {
    const html = await (await page(BROWSER_ACCEPT)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    for (const a of assets) {
      const res = await fetch(origin + a);
      expect(res.status, a).toBe(200);
      expect(res.headers.get('content-type'), a).toBe(a.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(50);
      expect(await revalidate(origin + a, res.headers.get('etag')!), a).toBe(304);
    }
    expect(assets.some((a) => /graphiql@3\.[^/]+\/index\.umd\.js$/.test(a))).toBe(true);
    expect(assets.some((a) => /react@18\.[^/]+\/react\.production\.min\.js$/.test(a))).toBe(true);
    expect((await fetch(`${origin}/graphiql/assets/nope.js`)).status).toBe(404);
  });

  it('leaves every other request to Apollo', async () => {
    for (const accept of ['application/json', '*/*', 'application/graphql-response+json']) {
      const res = await page(accept);
      expect(res.headers.get('content-type') ?? '', accept).not.toMatch(/text\/html/);
    }
    const post = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: BROWSER_ACCEPT, authorization: `Bearer ${devKey}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await post.json()).toEqual({ data: { __typename: 'Query' } });
    const anonymous = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(anonymous.status).toBe(401);
  });

  it('preloads the development key in every tab\'s Headers, and examples that run as they are with it', async () => {
    const html = await (await page(BROWSER_ACCEPT)).text();
    const config = JSON.parse(/<script type="application\/json" id="auditql-config">([^<]*)<\/script>/.exec(html)![1]!) as { tabs: { headers?: string }[] };
    for (const t of config.tabs) expect(JSON.parse(t.headers ?? '{}')).toEqual({ Authorization: `Bearer ${devKey}` });
    for (const e of examples()) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${devKey}` },
        body: JSON.stringify({ query: e.query, variables: e.variables }),
      });
      const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown };
      expect(body.errors, e.title).toBeUndefined();
      expect(Object.keys(body.data ?? {}), e.title).toHaveLength(1);
    }
  });
});

const skipReason = HAVE_CHROMIUM ? '' : ` — SKIPPED: ${CHROMIUM} is absent (install it: bash .ci/install-chromium.sh)`;

describe.skipIf(!HAVE_CHROMIUM)(`GraphiQL in headless chromium${skipReason}`, () => {
  let profile: string;
  let browser: BrowserContext;
  let tab: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'auditql-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run'],
    });
    tab = browser.pages()[0] ?? (await browser.newPage());
    tab.on('request', (r) => requests.push(r.url()));
    tab.on('pageerror', (e) => pageErrors.push(e.message));
    await tab.addInitScript(() => {
      const seen: string[] = [];
      Object.assign(window, { __cspViolations: seen });
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** The result pane's text, from its CodeMirror (what the user sees, without gutters and folding marks). */
  const resultText = () =>
    tab.evaluate(() => (document.querySelector('.result-window .CodeMirror') as unknown as { CodeMirror?: { getValue(): string } } | null)?.CodeMirror?.getValue() ?? '');
  const violations = () => tab.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);

  it('loads from 127.0.0.1 only and runs the preloaded example with Ctrl-Enter', async () => {
    await tab.goto(server.url);
    await tab.locator('.graphiql-query-editor .CodeMirror').waitFor();
    expect(await tab.locator('.graphiql-tab').allInnerTexts()).toEqual(
      ['EntityHistory', 'WhoChanged', 'ActivityByUser', 'EntityAt', 'Transaction', 'RecentDeletes']);
    expect(await tab.locator('.graphiql-editor-tool .CodeMirror').first().innerText()).toContain('"customers"');

    await tab.locator('.graphiql-query-editor .CodeMirror').click();
    await tab.keyboard.press('Control+Enter');
    await expect.poll(resultText, { timeout: 15_000 }).toContain(NEW_EMAIL);
    expect(await resultText()).not.toContain('"errors"');

    expect(requests.length).toBeGreaterThanOrEqual(8); // page, 2 stylesheets, 5 scripts, introspection, query
    for (const u of requests) expect(u.startsWith(`${origin}/`), u).toBe(true);
    expect(requests.filter((u) => u === server.url).length).toBeGreaterThanOrEqual(3);
    expect(pageErrors).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  it('runs a query set in the editor with the run button (a string key finds the numeric one)', async () => {
    await tab.evaluate((q) => {
      const el = document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as { CodeMirror: { setValue(v: string): void } };
      el.CodeMirror.setValue(q);
    }, `query Proof {\n  entityHistory(table: "customers", key: {id: "1001"}, first: 5) {\n    nodes { operation after }\n  }\n}\n`);
    // GraphiQL learns the operation name from the edit (debounced): its tab takes the name when it has.
    await tab.locator('.graphiql-tab-active', { hasText: 'Proof' }).waitFor();
    await tab.locator('.graphiql-execute-button').click();
    await expect.poll(resultText, { timeout: 15_000 }).toContain('"operation": "INSERT"');
    const result = JSON.parse(await resultText()) as { data: { entityHistory: { nodes: { operation: string; after: { email: string } }[] } } };
    expect(result.data.entityHistory.nodes.map((n) => [n.operation, n.after.email])).toEqual([
      ['UPDATE', NEW_EMAIL],
      ['INSERT', 'ada@example.com'],
    ]);
  });

  it('accepts objects for JSON variables in the variables editor, and still flags real mistakes', async () => {
    const setEditor = (selector: string, value: string) => tab.evaluate(([sel, v]) => {
      (document.querySelector(sel) as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(v);
    }, [selector, value] as const);
    // What the variables editor's lint marks, with its messages (CodeMirror's lint addon keeps them on the marks).
    const diagnostics = () => tab.evaluate(() => {
      const cm = (document.querySelector('.graphiql-editor-tool .CodeMirror') as unknown as {
        CodeMirror: { getAllMarks(): { __annotation?: { message: string } }[] };
      }).CodeMirror;
      return cm.getAllMarks().flatMap((m) => (m.__annotation ? [m.__annotation.message] : []));
    });
    await setEditor('.graphiql-query-editor .CodeMirror',
      'query Lint($table: String!, $key: JSON!) {\n  entityHistory(table: $table, key: $key, first: 1) { nodes { id } }\n}\n');
    await tab.locator('.graphiql-tab-active', { hasText: 'Lint' }).waitFor();
    // A wrong String beside an object key: the lint has run when the String is flagged, and only it is.
    await setEditor('.graphiql-editor-tool .CodeMirror', '{"table": 5, "key": {"id": 1001}}');
    await expect.poll(diagnostics, { timeout: 15_000 }).toEqual(['Expected value of type "String".']);
    // null for JSON! is still a mistake; an array is a JSON value like any other.
    await setEditor('.graphiql-editor-tool .CodeMirror', '{"table": "customers", "key": null}');
    await expect.poll(diagnostics, { timeout: 15_000 }).toEqual(['Type "JSON!" is non-nullable and cannot be null.']);
    await setEditor('.graphiql-editor-tool .CodeMirror', '{"table": "customers", "key": {"id": [1001, "x"]}}');
    await expect.poll(diagnostics, { timeout: 15_000 }).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps a dialog within the CSP (its injected style carries the nonce), and the CSP does block strangers', async () => {
    await tab.locator('[aria-label="Open settings dialog"]').click();
    await tab.getByRole('dialog').waitFor();
    await tab.keyboard.press('Escape');
    for (const u of requests) expect(u.startsWith(`${origin}/`), u).toBe(true);
    expect(await violations()).toEqual([]);
    expect(pageErrors).toEqual([]);

    // The control: what the policy forbids is blocked and reported, so "no violations" above means something.
    await tab.evaluate(async () => {
      document.head.append(Object.assign(document.createElement('style'), { textContent: 'body { color: red }' }));
      await fetch('http://192.0.2.1/outside').catch(() => null);
    });
    await expect.poll(violations).toEqual(expect.arrayContaining(['style-src-elem inline', expect.stringMatching(/^connect-src http:\/\/192\.0\.2\.1/)]));
  });
});
