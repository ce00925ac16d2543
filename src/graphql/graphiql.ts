/**
 * GraphiQL served by auditql itself, with no internet (docs/architecture.md "Running it"; docs/graphiql.md). A browser
 * asking `GET <endpoint>` for HTML gets a page whose every script and stylesheet this router serves from
 * installed npm packages (graphiql 3 UMD, React 18 UMD, graphql-ws UMD); every other request falls through
 * to Apollo. The page's Content-Security-Policy allows nothing but this origin, so a page that works is
 * proof that nothing came from outside. See docs/graphiql.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { examples, welcomeDocument, type ExampleHints } from './examples.js';
import { JSONScalar } from './types/scalars.js';

const require = createRequire(import.meta.url);

interface Asset {
  readonly type: string;
  readonly load: () => { readonly body: Buffer; readonly etag: string };
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const MAP = 'application/json; charset=utf-8';
const IMMUTABLE = 'public, max-age=31536000, immutable';

function packageFile(pkg: string, file: string): { readonly version: string; readonly path: string } {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { version, path: join(dirname(manifest), file) };
}

/** Runs in the page: reads the JSON config block and renders GraphiQL (no inline script needed). */
const BOOT_JS = `(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('auditql-config').textContent);
  // Dialogs inject <style> elements (react-style-singleton reads this global): they carry the page nonce.
  window.__webpack_nonce__ = cfg.styleNonce;
  var http = new URL(cfg.endpoint, location.href);
  var ws = new URL(http.href);
  ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  // Subscriptions authenticate at connection_init: the preloaded Authorization header, if any.
  var auth = cfg.headers && (cfg.headers.Authorization || cfg.headers.authorization);
  var fetcher = GraphiQL.createFetcher({
    url: http.href,
    wsClient: window.graphqlWs ? graphqlWs.createClient({ url: ws.href, lazy: true, connectionParams: auth ? { authorization: auth } : undefined }) : undefined,
  });
  var props = { fetcher: fetcher, defaultTabs: cfg.tabs, defaultEditorToolsVisibility: 'variables' };
  if (cfg.headers) {
    props.defaultHeaders = JSON.stringify(cfg.headers, null, 2);
    props.headers = props.defaultHeaders;
  }
  // GraphiQL 3 fills the variables editor of a first visit from the variables prop, not from defaultTabs[0].
  var firstVisit = true;
  try { firstVisit = !localStorage.getItem('graphiql:tabState'); } catch (e) { /* storage disabled */ }
  if (firstVisit) props.variables = cfg.tabs[0].variables;
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));

  // The variables editor's lint (codemirror-graphql) flags any object or array given to a custom scalar
  // ("Expected value of type "JSON".") although the JSON scalar takes every JSON value and the query runs.
  // Its lint helper is re-registered, once CodeMirror is loaded, to drop exactly that message for the
  // JSON scalars; every other diagnostic (a missing variable, a String given a number, null for JSON!) stays.
  var rejected = cfg.jsonScalars.map(function (s) { return 'Expected value of type "' + s + '".'; });
  function acceptJson(cm) {
    var CodeMirror = cm.constructor;
    var lint = CodeMirror.helpers && CodeMirror.helpers.lint && CodeMirror.helpers.lint['graphql-variables'];
    if (!lint) return false;
    if (!lint.auditqlAcceptsJson) {
      var accepting = function (text, options, editor) {
        var found = lint(text, options, editor);
        return Array.isArray(found) ? found.filter(function (a) { return rejected.indexOf(a.message) < 0; }) : found;
      };
      accepting.auditqlAcceptsJson = true;
      CodeMirror.registerHelper('lint', 'graphql-variables', accepting);
    }
    if (cm.performLint) cm.performLint();
    return true;
  }
  var variablesEditor = function () { var el = document.querySelector('.graphiql-editor-tool .CodeMirror'); return el && el.CodeMirror; };
  new MutationObserver(function (records, observer) {
    var cm = variablesEditor();
    if (cm && acceptJson(cm)) observer.disconnect();
  }).observe(document.body, { childList: true, subtree: true });
})();
`;

/** Scalars that take any JSON value: the variables editor must not flag objects given to them. */
const JSON_SCALARS = [JSONScalar.name];

const PAGE_CSS = 'html, body { height: 100%; margin: 0; overflow: hidden; } #graphiql { height: 100vh; }\n';

const withEtag = (body: Buffer) => ({ body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` });

/** URL path → asset. Package files are versioned in the URL and generated ones hashed, so all are immutable. */
function assetTable(base: string): { readonly assets: Map<string, Asset>; readonly urls: Record<string, string> } {
  const assets = new Map<string, Asset>();
  const urls: Record<string, string> = {};
  const cached = (read: () => Buffer) => {
    let loaded: { body: Buffer; etag: string } | undefined;
    return () => (loaded ??= withEtag(read()));
  };
  const fromPackage = (name: string, pkg: string, file: string, type: string, map?: string) => {
    const f = packageFile(pkg, file);
    const url = `${base}/${pkg}@${f.version}/${posix.basename(file)}`;
    assets.set(url, { type, load: cached(() => readFileSync(f.path)) });
    if (map) assets.set(`${url}.map`, { type: MAP, load: cached(() => readFileSync(join(dirname(f.path), map))) });
    urls[name] = url;
  };
  const generated = (name: string, ext: string, body: string, type: string) => {
    const loaded = withEtag(Buffer.from(body));
    const url = `${base}/auditql-${name}.${loaded.etag.slice(1, 13)}.${ext}`;
    assets.set(url, { type, load: () => loaded });
    urls[name] = url;
  };
  fromPackage('react', 'react', 'umd/react.production.min.js', JS);
  fromPackage('reactDom', 'react-dom', 'umd/react-dom.production.min.js', JS);
  fromPackage('graphqlWs', 'graphql-ws', 'umd/graphql-ws.min.js', JS);
  fromPackage('graphiql', 'graphiql', 'dist/index.umd.js', JS, 'index.umd.js.map');
  fromPackage('graphiqlCss', 'graphiql', 'dist/style.css', CSS);
  generated('boot', 'js', BOOT_JS, JS);
  generated('page', 'css', PAGE_CSS, CSS);
  return { assets, urls };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function csp(styleNonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    // GraphiQL's stylesheet embeds its fonts and icons as data: URIs (no fetch leaves the page).
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * GraphiQL on `endpoint` for browsers, its assets under `<endpoint's folder>/graphiql/assets/`.
 * `examples` replaces the default document of the first tab (default: a menu of the example tabs);
 * `headers` fill each tab's Headers editor (the demo's development key, docs/security.md).
 */
export function graphiqlRouter(opts: { endpoint: string; examples?: string; hints?: () => Promise<ExampleHints>; headers?: Readonly<Record<string, string>> }): Router {
  const base = posix.join(posix.dirname(opts.endpoint), 'graphiql', 'assets');
  const { assets, urls } = assetTable(base);
  const router = Router();

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const asset = assets.get(req.path);
    if (asset) {
      const { body, etag } = asset.load();
      res.set({ 'Content-Type': asset.type, 'Cache-Control': IMMUTABLE, 'X-Content-Type-Options': 'nosniff', ETag: etag });
      return void res.send(body);
    }
    const wantsHtml = req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';
    if ((req.path !== opts.endpoint && req.path !== `${opts.endpoint}/`) || !wantsHtml) return next();

    const now = new Date();
    const list = examples(now, opts.hints ? await opts.hints().catch(() => undefined) : undefined);
    const styleNonce = randomBytes(16).toString('base64');
    const headers = opts.headers ? JSON.stringify(opts.headers, null, 2) : undefined;
    const tab = (query: string, variables: unknown = {}) => ({ query, variables: JSON.stringify(variables, null, 2), ...(headers ? { headers } : {}) });
    const tabs = opts.examples
      ? [tab(opts.examples), ...list.map((e) => tab(e.query, e.variables))]
      : [tab(welcomeDocument(list), list[0]?.variables), ...list.slice(1).map((e) => tab(e.query, e.variables))];
    // A data block, not a script: CSP does not run it, and `<` is escaped so it cannot close the element.
    const config = JSON.stringify({ endpoint: opts.endpoint, styleNonce, tabs, headers: opts.headers ?? null, jsonScalars: JSON_SCALARS }).replace(/</g, '\u003c');
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp(styleNonce),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      Vary: 'Accept',
    });
    const script = (u: string | undefined) => `<script src="${escapeHtml(u ?? '')}"></script>`;
    const style = (u: string | undefined) => `<link rel="stylesheet" href="${escapeHtml(u ?? '')}">`;
    res.send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>auditql · GraphiQL</title>
<link rel="icon" href="data:,">
${style(urls.graphiqlCss)}
${style(urls.page)}
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript. Without it, POST GraphQL to ${escapeHtml(opts.endpoint)}.</noscript>
<script type="application/json" id="auditql-config">${config}</script>
${script(urls.react)}
${script(urls.reactDom)}
${script(urls.graphqlWs)}
${script(urls.graphiql)}
${script(urls.boot)}
</body>
</html>
`);
  });
  return router;
}
