/**
 * Authentication configuration from the environment (docs/security.md "Configuration"), validated once and
 * frozen; a bad value fails fast naming the variable. Nothing here touches the network or the warehouse.
 */
import { readFileSync } from 'node:fs';
import { AuditqlError, ErrorCode } from '../errors.js';

/** Asymmetric JWS algorithms only: an HMAC secret would be the public key an attacker can read. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'];

export interface JwtConfig {
  /** Exactly one of the two. */
  readonly jwksUrl: URL | null;
  /** The local key file's text: a PEM public key, a JWK or a JWK Set. */
  readonly publicKey: { readonly file: string; readonly text: string } | null;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  /** Where the role is: a top-level claim name as given, else a dotted path (`realm_access.roles`). */
  readonly roleClaim: string;
  readonly principalClaim: string;
  /** A JWKS is refetched for an unknown `kid` at most once per this many ms. */
  readonly jwksCooldownMs: number;
  readonly jwksCacheMaxAgeMs: number;
}

export interface AuthConfig {
  /** `AUDITQL_AUTH=none`: every caller is anonymous, with `anonymousRole`. */
  readonly none: boolean;
  readonly anonymousRole: string;
  readonly jwt: JwtConfig | null;
  /** Browser origins allowed to call the API (CORS) and to open WebSockets; same-origin always is. */
  readonly allowedOrigins: readonly string[];
}

const bad = (message: string) => new AuditqlError(ErrorCode.BAD_CONFIG, message);

function intIn(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`${name}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
  return n;
}

function origins(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((o) => {
    if (o === '*') throw bad('AUDITQL_ALLOWED_ORIGINS: "*" is not allowed; list each origin (https://app.example.com)');
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw bad(`AUDITQL_ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an origin such as https://app.example.com`);
    }
    if (u.origin !== o.replace(/\/$/, '')) throw bad(`AUDITQL_ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an origin (scheme://host[:port], no path)`);
    return u.origin;
  });
}

function jwtConfig(env: NodeJS.ProcessEnv): JwtConfig | null {
  const jwks = env.AUDITQL_JWKS_URL || null;
  const keyFile = env.AUDITQL_JWT_PUBLIC_KEY || null;
  if (!jwks && !keyFile) {
    for (const k of ['AUDITQL_JWT_ISSUER', 'AUDITQL_JWT_AUDIENCE']) {
      if (env[k]) throw bad(`${k} is set but neither AUDITQL_JWKS_URL nor AUDITQL_JWT_PUBLIC_KEY says where the signing keys are`);
    }
    return null;
  }
  if (jwks && keyFile) throw bad('AUDITQL_JWKS_URL and AUDITQL_JWT_PUBLIC_KEY are both set; set one');
  let jwksUrl: URL | null = null;
  if (jwks) {
    try {
      jwksUrl = new URL(jwks);
    } catch {
      throw bad(`AUDITQL_JWKS_URL=${JSON.stringify(jwks)}: not a URL`);
    }
    const local = jwksUrl.hostname === '127.0.0.1' || jwksUrl.hostname === 'localhost' || jwksUrl.hostname === '[::1]';
    if (jwksUrl.protocol !== 'https:' && !(jwksUrl.protocol === 'http:' && local)) {
      throw bad('AUDITQL_JWKS_URL: expected an https:// URL (http:// only for localhost)');
    }
  }
  let publicKey: JwtConfig['publicKey'] = null;
  if (keyFile) {
    try {
      publicKey = { file: keyFile, text: readFileSync(keyFile, 'utf8') };
    } catch (err) {
      throw bad(`AUDITQL_JWT_PUBLIC_KEY=${JSON.stringify(keyFile)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (/PRIVATE KEY/.test(publicKey.text)) throw bad('AUDITQL_JWT_PUBLIC_KEY: the file holds a private key; give the public key');
  }
  const issuer = env.AUDITQL_JWT_ISSUER;
  const audience = env.AUDITQL_JWT_AUDIENCE;
  if (!issuer) throw bad('AUDITQL_JWT_ISSUER: required with JWT authentication (the `iss` your identity provider puts in tokens)');
  if (!audience) throw bad('AUDITQL_JWT_AUDIENCE: required with JWT authentication (the `aud` tokens for this API carry)');
  const algorithms = (env.AUDITQL_JWT_ALGORITHMS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a)) {
      throw bad(`AUDITQL_JWT_ALGORITHMS: ${JSON.stringify(a)} is not allowed; expected asymmetric algorithms among ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
    }
  }
  return Object.freeze({
    jwksUrl,
    publicKey,
    issuer,
    audience,
    algorithms: Object.freeze(algorithms.length > 0 ? algorithms : DEFAULT_ALGORITHMS),
    clockSkewSeconds: intIn(env, 'AUDITQL_JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
    roleClaim: env.AUDITQL_JWT_ROLE_CLAIM || 'roles',
    principalClaim: env.AUDITQL_JWT_PRINCIPAL_CLAIM || 'sub',
    jwksCooldownMs: intIn(env, 'AUDITQL_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
    jwksCacheMaxAgeMs: intIn(env, 'AUDITQL_JWKS_CACHE_MAX_AGE_MS', 600_000, 1000, 86_400_000),
  });
}

export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const mode = env.AUDITQL_AUTH ?? '';
  if (mode !== '' && mode !== 'none' && mode !== 'required') {
    throw bad(`AUDITQL_AUTH=${JSON.stringify(mode)}: expected "none" (no authentication, for local use) or unset`);
  }
  const none = mode === 'none';
  const jwt = jwtConfig(env);
  if (none && jwt) throw bad('AUDITQL_AUTH=none but JWT authentication is configured (AUDITQL_JWKS_URL / AUDITQL_JWT_PUBLIC_KEY); choose one');
  return Object.freeze({
    none,
    anonymousRole: env.AUDITQL_ANONYMOUS_ROLE || 'admin',
    jwt,
    allowedOrigins: Object.freeze(origins(env.AUDITQL_ALLOWED_ORIGINS)),
  });
}
