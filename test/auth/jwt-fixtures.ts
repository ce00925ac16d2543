/**
 * Real keys and a real JWKS server for authentication tests: RSA and EC key pairs made with jose, tokens
 * signed with them, and an HTTP server on 127.0.0.1 serving a JWK Set the test can rotate and whose
 * fetches it counts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly publicPem: string;
}

export async function testKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' }, publicPem: await exportSPKI(publicKey) };
}

export const ISSUER = 'https://idp.test.example/realms/audit';
export const AUDIENCE = 'auditql-api';

export interface TokenOptions {
  readonly sub?: string;
  readonly iss?: string;
  readonly aud?: string;
  /** Seconds from now (negative: in the past). */
  readonly expIn?: number;
  readonly nbfIn?: number;
  readonly claims?: JWTPayload;
  readonly kid?: string;
}

export function sign(key: TestKey, o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ roles: ['auditor'], ...o.claims })
    .setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid, typ: 'JWT' })
    .setSubject(o.sub ?? 'alice')
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (o.expIn ?? 300));
  if (o.nbfIn !== undefined) jwt.setNotBefore(now + o.nbfIn);
  return jwt.sign(key.privateKey);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsecured JWT (`alg: none`) with valid claims. */
export function unsecured(o: { kid?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT', ...(o.kid ? { kid: o.kid } : {}) })}.${b64({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: now + 300, roles: ['admin'] })}.`;
}

export interface JwksServer {
  readonly url: string;
  /** How many times the set was fetched. */
  fetches(): number;
  serve(keys: readonly TestKey[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly TestKey[]): Promise<JwksServer> {
  let current = keys;
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: current.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    fetches: () => count,
    serve: (k) => void (current = k),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
