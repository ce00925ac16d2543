/**
 * JWT bearer tokens verified with `jose` (docs/security.md "JWT"): signature against a JWKS URL (cached;
 * an unknown `kid` refetches the set once, then not again within the cooldown) or a local public key;
 * `iss`, `aud`, `exp` and `nbf` with a small clock skew; only the configured asymmetric algorithms (so
 * neither `alg: none` nor an HMAC "signed" with the public key gets through).
 */
import { createPublicKey } from 'node:crypto';
import {
  createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey,
} from 'jose';
import type { JwtConfig } from '../config/auth.js';
import { AuditqlError, ErrorCode } from '../errors.js';
import { claimValues } from './claim-path.js';
import { unauthenticated, type AuthRefusal } from './principal.js';

export interface VerifiedJwt {
  readonly subject: string;
  readonly roles: readonly string[];
  readonly expiresAt: Date | null;
  readonly payload: JWTPayload;
}

export type JwtVerifier = (token: string) => Promise<VerifiedJwt>;

type KeySource = JWTVerifyGetKey | ReturnType<typeof createPublicKey>;

function keySource(c: JwtConfig): KeySource {
  if (c.jwksUrl) {
    return createRemoteJWKSet(c.jwksUrl, { cooldownDuration: c.jwksCooldownMs, cacheMaxAge: c.jwksCacheMaxAgeMs, timeoutDuration: 5000 });
  }
  const text = c.publicKey!.text.trim();
  try {
    if (text.startsWith('{')) {
      const parsed = JSON.parse(text) as JSONWebKeySet | Record<string, unknown>;
      return createLocalJWKSet('keys' in parsed ? (parsed as JSONWebKeySet) : { keys: [parsed as JSONWebKeySet['keys'][number]] });
    }
    const key = createPublicKey(text);
    if (key.type !== 'public') throw new Error('not a public key');
    return key;
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_JWT_PUBLIC_KEY=${JSON.stringify(c.publicKey!.file)}: not a PEM public key, JWK or JWK Set (${(err as Error).message})`);
  }
}

/** jose's failure → a stable refusal reason. */
function refusal(err: unknown): AuthRefusal {
  if (err instanceof errors.JWTExpired) return unauthenticated('expired', 'the bearer token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return unauthenticated('not_yet_valid', 'the bearer token is not valid yet');
    if (err.claim === 'iss') return unauthenticated('bad_issuer', 'the bearer token was issued by an issuer this server does not trust');
    if (err.claim === 'aud') return unauthenticated('bad_audience', 'the bearer token is not meant for this API (audience)');
    return unauthenticated('bad_claims', `the bearer token's claims are not acceptable (${err.claim})`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthenticated('alg_not_allowed', 'the bearer token is signed with an algorithm this server does not accept');
  if (err instanceof errors.JWKSNoMatchingKey) return unauthenticated('unknown_key', 'the bearer token is signed with a key this server does not know');
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('bad_signature', 'the bearer token signature does not verify');
  if (err instanceof errors.JWKSTimeout || (err instanceof Error && !(err instanceof errors.JOSEError))) {
    return unauthenticated('jwks_unavailable', 'the signing keys could not be fetched; try again');
  }
  return unauthenticated('malformed', 'the bearer token is not a valid JWT');
}

export function jwtVerifier(c: JwtConfig): JwtVerifier {
  const key = keySource(c);
  const options = { issuer: c.issuer, audience: c.audience, algorithms: [...c.algorithms], clockTolerance: c.clockSkewSeconds, requiredClaims: ['exp'] };
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = (typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)).payload;
    } catch (err) {
      throw refusal(err);
    }
    const sub = payload[c.principalClaim];
    const subject = typeof sub === 'string' ? sub : undefined;
    if (!subject) throw unauthenticated('bad_claims', `the bearer token has no ${c.principalClaim} claim`);
    return {
      subject,
      roles: claimValues(payload, c.roleClaim),
      expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
      payload,
    };
  };
}
