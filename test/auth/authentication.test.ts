/**
 * Authentication against real servers, a real JWKS server and real PostgreSQL (docs/security.md): every
 * kind of bad credential is refused on HTTP (401/403 with a stable code and reason) and on graphql-ws
 * (close 4403 with `<code>:<reason>`); JWKS rotation; origins; CORS.
 */
import { parseApiKey } from '../../src/auth/api-key-secret.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { loadAuthConfig } from '../../src/config/auth.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { newApiKey } from '../../src/auth/api-key-secret.js';
import { insertApiKey, listApiKeys, revokeApiKey } from '../../src/warehouse/queries/api-keys.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { silentLogger } from '../../src/log.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { connect, subscribe, type Closed } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { postGraphql } from '../graphql/helpers.js';
import { AUDIENCE, ISSUER, sign, startJwksServer, testKey, unsecured, type JwksServer, type TestKey } from './jwt-fixtures.js';

const ROLES = new Set(['admin', 'auditor', 'analyst', 'siem']);
// a field every built-in role may use (siem may not list changes)
const Q = '{ activity(first: 1) { nodes { id } } }';

let w: TestWarehouse;
let jwks: JwksServer;
let k1: TestKey;
let k2: TestKey;
let stranger: TestKey;
let viaJwks: ApiServer;
let viaPem: ApiServer;
let pemFile: string;
let apiKey: string;

async function serverWith(env: Record<string, string>, extra: Partial<Parameters<typeof startApiServer>[0]> = {}): Promise<ApiServer> {
  const config = loadAuthConfig(env);
  return startApiServer({
    warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger,
    auth: { mode: 'verify', authenticator: createAuthenticator({ config, db: w.db, roles: ROLES }), revocationCheckMs: 100 },
    allowedOrigins: config.allowedOrigins,
    ...extra,
  });
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** HTTP: status, code, reason. */
async function http(api: ApiServer, headers: Record<string, string>) {
  const r = await postGraphql<unknown>(api.url, Q, undefined, headers);
  const e = r.errors?.[0]?.extensions as { code?: string; reason?: string } | undefined;
  return { status: r.status, code: e?.code ?? null, reason: e?.reason ?? null, data: r.data };
}

/** graphql-ws: how the connection closed (or 'open' once acknowledged). */
async function ws(api: ApiServer, params: Record<string, unknown> | undefined): Promise<Closed | 'acknowledged'> {
  const { client, closed } = connect(api.url, params ? { connectionParams: params } : {});
  let acked = false;
  client.on('connected', () => void (acked = true));
  const sub = subscribe(client, 'subscription { changeAdded { id } }');
  await until('the connection to be acknowledged or closed', () => acked || closed.length > 0);
  sub.dispose();
  await client.dispose();
  return acked ? 'acknowledged' : closed[0]!;
}

beforeAll(async () => {
  w = await freshWarehouse();
  [k1, k2, stranger] = await Promise.all([testKey('k1'), testKey('k2', 'ES256'), testKey('k1')]);
  jwks = await startJwksServer([k1]);
  const dir = mkdtempSync(join(tmpdir(), 'auditql-auth-'));
  pemFile = join(dir, 'idp.pem');
  writeFileSync(pemFile, k1.publicPem);
  const base = { AUDITQL_JWT_ISSUER: ISSUER, AUDITQL_JWT_AUDIENCE: AUDIENCE };
  viaJwks = await serverWith({ ...base, AUDITQL_JWKS_URL: jwks.url, AUDITQL_JWKS_COOLDOWN_MS: '0', AUDITQL_ALLOWED_ORIGINS: 'https://app.example.com' });
  viaPem = await serverWith({ ...base, AUDITQL_JWT_PUBLIC_KEY: pemFile, AUDITQL_JWT_ROLE_CLAIM: 'realm_access.roles' });
  const k = await newApiKey();
  await insertApiKey(w.db, { keyId: k.keyId, name: 'siem-connector', role: 'siem', secretHash: k.secretHash });
  apiKey = k.key;
});

afterAll(async () => {
  await viaJwks?.close();
  await viaPem?.close();
  await jwks?.close();
  await w?.destroy();
});

describe('refused credentials, on HTTP and on graphql-ws', () => {
  const cases: [string, () => Promise<Record<string, string> | null>, string, string, () => ApiServer][] = [
    ['anonymous', async () => null, 'AUDITQL_UNAUTHENTICATED', 'missing', () => viaJwks],
    ['not a Bearer header', async () => ({ authorization: 'Basic YWxpY2U6c2VjcmV0' }), 'AUDITQL_UNAUTHENTICATED', 'malformed', () => viaJwks],
    ['expired', async () => bearer(await sign(k1, { expIn: -120 })), 'AUDITQL_UNAUTHENTICATED', 'expired', () => viaJwks],
    ['not yet valid', async () => bearer(await sign(k1, { nbfIn: 600 })), 'AUDITQL_UNAUTHENTICATED', 'not_yet_valid', () => viaJwks],
    ['wrong issuer', async () => bearer(await sign(k1, { iss: 'https://evil.example' })), 'AUDITQL_UNAUTHENTICATED', 'bad_issuer', () => viaJwks],
    ['wrong audience', async () => bearer(await sign(k1, { aud: 'another-api' })), 'AUDITQL_UNAUTHENTICATED', 'bad_audience', () => viaJwks],
    ['unknown kid', async () => bearer(await sign(k2, { kid: 'never-published' })), 'AUDITQL_UNAUTHENTICATED', 'unknown_key', () => viaJwks],
    ['a known kid signed by another key', async () => bearer(await sign(stranger)), 'AUDITQL_UNAUTHENTICATED', 'bad_signature', () => viaJwks],
    ['alg none', async () => bearer(unsecured({ kid: 'k1' })), 'AUDITQL_UNAUTHENTICATED', 'alg_not_allowed', () => viaJwks],
    ['alg none (local key)', async () => bearer(unsecured()), 'AUDITQL_UNAUTHENTICATED', 'alg_not_allowed', () => viaPem],
    ['HS256 signed with the public key', async () => bearer(await hs256WithPublicKey()), 'AUDITQL_UNAUTHENTICATED', 'alg_not_allowed', () => viaPem],
    ['no role this server knows', async () => bearer(await sign(k1, { claims: { roles: ['intern'] } })), 'AUDITQL_FORBIDDEN', 'no_role', () => viaJwks],
    ['an unknown API key', async () => bearer(`aqk_${'0'.repeat(16)}_${'A'.repeat(43)}`), 'AUDITQL_UNAUTHENTICATED', 'unknown_api_key', () => viaJwks],
    ['a known key id with a wrong secret', async () => bearer(apiKey.slice(0, -4) + 'AAAA'), 'AUDITQL_UNAUTHENTICATED', 'unknown_api_key', () => viaJwks],
  ];

  async function hs256WithPublicKey(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ roles: ['admin'], realm_access: { roles: ['admin'] } })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('mallory').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(k1.publicPem));
  }

  for (const [what, headers, code, reason, server] of cases) {
    it(`${what}: HTTP ${code === 'AUDITQL_FORBIDDEN' ? 403 : 401} ${code} (${reason}), graphql-ws 4403`, async () => {
      const h = await headers();
      const r = await http(server(), h ?? {});
      expect(r).toMatchObject({ status: code === 'AUDITQL_FORBIDDEN' ? 403 : 401, code, reason });
      expect(r.data).toBeUndefined();
      const c = await ws(server(), h ? { authorization: h.authorization } : undefined);
      expect(c).toEqual({ code: 4403, reason: `${code}:${reason}` });
    });
  }

  it('a revoked API key, at once (HTTP and graphql-ws)', async () => {
    const k = await newApiKey();
    await insertApiKey(w.db, { keyId: k.keyId, name: 'batch-job', role: 'analyst', secretHash: k.secretHash });
    expect((await http(viaJwks, bearer(k.key))).status).toBe(200);
    expect(await revokeApiKey(w.db, 'batch-job')).toBe(true);
    expect(await http(viaJwks, bearer(k.key))).toMatchObject({ status: 401, code: 'AUDITQL_UNAUTHENTICATED', reason: 'revoked' });
    expect(await ws(viaJwks, bearer(k.key))).toEqual({ code: 4403, reason: 'AUDITQL_UNAUTHENTICATED:revoked' });
  });
});

describe('accepted credentials', () => {
  it('a valid JWT from the JWKS, on HTTP and graphql-ws', async () => {
    const t = await sign(k1);
    expect(await http(viaJwks, bearer(t))).toMatchObject({ status: 200, code: null });
    expect(await ws(viaJwks, bearer(t))).toBe('acknowledged');
  });

  it('a valid JWT against the local public key, its role at a dotted path (Keycloak realm_access.roles)', async () => {
    const t = await sign(k1, { claims: { roles: [], realm_access: { roles: ['offline_access', 'analyst'] } } });
    expect(await http(viaPem, bearer(t))).toMatchObject({ status: 200, code: null });
    expect(await http(viaPem, bearer(await sign(k1)))).toMatchObject({ status: 403, code: 'AUDITQL_FORBIDDEN', reason: 'no_role' });
  });

  it('an API key, its last use recorded', async () => {
    expect(await http(viaJwks, bearer(apiKey))).toMatchObject({ status: 200, code: null });
    expect(await ws(viaJwks, bearer(apiKey))).toBe('acknowledged');
    const row = (await listApiKeys(w.db)).find((r) => r.name === 'siem-connector')!;
    expect(row.lastUsedAt).toBeInstanceOf(Date);
    expect(row.secretHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row.secretHash).not.toContain(parseApiKey(apiKey)!.secret); // the secret itself may hold '_'
  });
});

describe('JWKS rotation', () => {
  it('an unknown kid refetches the set once; a key published since is then accepted', async () => {
    const rotating = await startJwksServer([k1]);
    const api = await serverWith({ AUDITQL_JWT_ISSUER: ISSUER, AUDITQL_JWT_AUDIENCE: AUDIENCE, AUDITQL_JWKS_URL: rotating.url, AUDITQL_JWKS_COOLDOWN_MS: '0' });
    try {
      expect((await http(api, bearer(await sign(k1)))).status).toBe(200);
      expect(rotating.fetches()).toBe(1);
      const next = await sign(k2);
      expect(await http(api, bearer(next))).toMatchObject({ status: 401, reason: 'unknown_key' });
      expect(rotating.fetches()).toBe(2); // exactly one refetch for the unknown kid
      rotating.serve([k1, k2]); // the identity provider rotates in k2
      expect(await http(api, bearer(next))).toMatchObject({ status: 200, code: null });
      expect(rotating.fetches()).toBe(3);
      expect((await http(api, bearer(await sign(k1)))).status).toBe(200);
      expect(rotating.fetches()).toBe(3); // cached
    } finally {
      await api.close();
      await rotating.close();
    }
  });

  it('within the cooldown, unknown kids do not refetch (a flood of made-up kids cannot hammer the IdP)', async () => {
    const slow = await startJwksServer([k1]);
    const api = await serverWith({ AUDITQL_JWT_ISSUER: ISSUER, AUDITQL_JWT_AUDIENCE: AUDIENCE, AUDITQL_JWKS_URL: slow.url, AUDITQL_JWKS_COOLDOWN_MS: '600000' });
    try {
      expect((await http(api, bearer(await sign(k1)))).status).toBe(200);
      for (let i = 0; i < 5; i++) expect(await http(api, bearer(await sign(k2, { kid: `made-up-${i}` })))).toMatchObject({ status: 401, reason: 'unknown_key' });
      expect(slow.fetches()).toBe(1);
    } finally {
      await api.close();
      await slow.close();
    }
  });
});

describe('browser origins', () => {
  const upgrade = (api: ApiServer, origin: string | undefined, token: string) =>
    new Promise<number>((resolve) => {
      const s = new WebSocket(api.url.replace(/^http/, 'ws'), 'graphql-transport-ws', origin ? { origin } : {});
      s.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      s.on('open', () => {
        s.send(JSON.stringify({ type: 'connection_init', payload: bearer(token) }));
      });
      s.on('message', (m) => {
        if (JSON.parse(String(m)).type === 'connection_ack') {
          s.close();
          resolve(101);
        }
      });
    });

  it('refuses a WebSocket upgrade from an Origin not listed; allows same-origin, listed and non-browser clients', async () => {
    const t = await sign(k1);
    const own = new URL(viaJwks.url).origin;
    expect(await upgrade(viaJwks, 'https://evil.example', t)).toBe(403);
    expect(await upgrade(viaJwks, own, t)).toBe(101);
    expect(await upgrade(viaJwks, 'https://app.example.com', t)).toBe(101);
    expect(await upgrade(viaJwks, undefined, t)).toBe(101);
  });

  it('answers CORS preflights for listed origins only, echoing the origin with credentials (never *)', async () => {
    const preflight = (origin: string) =>
      fetch(viaJwks.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    const ok = await preflight('https://app.example.com');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(ok.headers.get('vary')).toMatch(/origin/i);
    const no = await preflight('https://evil.example');
    expect(no.status).toBe(403);
    expect(no.headers.get('access-control-allow-origin')).toBeNull();

    const t = await sign(k1);
    const listed = await fetch(viaJwks.url, { method: 'POST', headers: { origin: 'https://app.example.com', 'content-type': 'application/json', ...bearer(t) }, body: JSON.stringify({ query: Q }) });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const evil = await fetch(viaJwks.url, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json', ...bearer(t) }, body: JSON.stringify({ query: Q }) });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('AUDITQL_FORBIDDEN');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('configuration', () => {
  it('fails fast naming the key', () => {
    const base = { AUDITQL_JWT_ISSUER: ISSUER, AUDITQL_JWT_AUDIENCE: AUDIENCE, AUDITQL_JWKS_URL: 'https://idp.example/jwks' };
    expect(() => loadAuthConfig({ ...base, AUDITQL_JWT_ALGORITHMS: 'RS256,HS256' })).toThrow(/AUDITQL_JWT_ALGORITHMS: "HS256" is not allowed/);
    expect(() => loadAuthConfig({ ...base, AUDITQL_JWT_ALGORITHMS: 'none' })).toThrow(/AUDITQL_JWT_ALGORITHMS/);
    expect(() => loadAuthConfig({ AUDITQL_JWKS_URL: 'https://idp.example/jwks', AUDITQL_JWT_AUDIENCE: AUDIENCE })).toThrow(/AUDITQL_JWT_ISSUER/);
    expect(() => loadAuthConfig({ ...base, AUDITQL_JWKS_URL: 'http://idp.example/jwks' })).toThrow(/AUDITQL_JWKS_URL: expected an https/);
    expect(() => loadAuthConfig({ AUDITQL_ALLOWED_ORIGINS: '*' })).toThrow(/AUDITQL_ALLOWED_ORIGINS/);
    expect(() => loadAuthConfig({ AUDITQL_AUTH: 'off' })).toThrow(/AUDITQL_AUTH/);
  });
});
