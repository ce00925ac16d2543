/**
 * `Authorization: Bearer <jwt-or-api-key>` → a `Principal`, or an `AuthRefusal` (docs/security.md). One
 * authenticator serves HTTP and graphql-ws. An API key (`aqk_…`) is looked up by its public id and its
 * secret checked against the stored scrypt hash; a verified key is remembered (by a SHA-256 of the whole
 * key) so that only the first use of a key in a process pays for scrypt, while every use still reads the
 * row — a revoked key is refused at once.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuthConfig } from '../config/auth.js';
import type { Warehouse } from '../warehouse/tables.js';
import { apiKeyById, markApiKeyUsed, revokedAmong } from '../warehouse/queries/api-keys.js';
import { AuthRefusal, unauthenticated, type Principal } from './principal.js';
import { looksLikeApiKey, parseApiKey, verifySecret } from './api-key-secret.js';
import { jwtVerifier, type JwtVerifier } from './jwt-verifier.js';
import { ErrorCode } from '../errors.js';

export interface Authenticator {
  /** `none`: everyone is let in as the anonymous role; `verify`: credentials are required. */
  readonly mode: 'none' | 'verify';
  /** The value of an `Authorization` header (or graphql-ws `authorization` parameter); undefined: none given. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Of these API key ids, the revoked ones (subscriptions are closed when their key is revoked). */
  revoked(keyIds: readonly string[]): Promise<Set<string>>;
}

export interface AuthenticatorOptions {
  readonly config: AuthConfig;
  readonly db: Kysely<Warehouse>;
  /** Roles the policy defines: a JWT is mapped to the first of its roles found here. */
  readonly roles: ReadonlySet<string>;
}

const MAX_REMEMBERED = 10_000;

/** The bearer credential of an Authorization value; throws when the value is there but not `Bearer …`. */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined || authorization.trim() === '') return null;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
  if (!m) throw unauthenticated('malformed', 'the Authorization header must be "Bearer <token or API key>"');
  return m[1]!;
}

export function createAuthenticator(o: AuthenticatorOptions): Authenticator {
  if (o.config.none) {
    const anonymous: Principal = Object.freeze({ kind: 'none', principal: null, role: o.config.anonymousRole, expiresAt: null, keyId: null });
    return { mode: 'none', authenticate: async () => anonymous, revoked: async () => new Set() };
  }
  const jwt: JwtVerifier | null = o.config.jwt ? jwtVerifier(o.config.jwt) : null;
  /** sha256(key) → the stored hash it verified against. */
  const verified = new Map<string, string>();

  async function apiKey(token: string): Promise<Principal> {
    const parsed = parseApiKey(token);
    if (!parsed) throw unauthenticated('malformed', 'the API key is not well-formed');
    const row = await apiKeyById(o.db, parsed.keyId);
    if (!row) throw unauthenticated('unknown_api_key', 'the API key is not known');
    if (row.revokedAt) throw unauthenticated('revoked', 'the API key has been revoked');
    const digest = createHash('sha256').update(token).digest('base64url');
    if (verified.get(digest) !== row.secretHash) {
      if (!(await verifySecret(parsed.secret, row.secretHash))) throw unauthenticated('unknown_api_key', 'the API key is not known');
      if (verified.size >= MAX_REMEMBERED) verified.clear();
      verified.set(digest, row.secretHash);
    }
    if (!o.roles.has(row.role)) throw new AuthRefusal('no_role', `the API key's role ${JSON.stringify(row.role)} is not defined by the policy`, ErrorCode.FORBIDDEN);
    await markApiKeyUsed(o.db, row.keyId);
    return Object.freeze({ kind: 'api-key', principal: row.name, role: row.role, expiresAt: null, keyId: row.keyId });
  }

  async function token(t: string): Promise<Principal> {
    if (!jwt) throw unauthenticated('malformed', 'this server accepts API keys only (no JWT issuer is configured)');
    const v = await jwt(t);
    const role = v.roles.find((r) => o.roles.has(r));
    if (!role) throw new AuthRefusal('no_role', 'the bearer token carries no role this server knows', ErrorCode.FORBIDDEN);
    return Object.freeze({ kind: 'jwt', principal: v.subject, role, expiresAt: v.expiresAt, keyId: null });
  }

  return {
    mode: 'verify',
    async authenticate(authorization) {
      const t = bearerToken(authorization);
      if (t === null) throw unauthenticated('missing', 'authentication required: send "Authorization: Bearer <token or API key>"');
      return looksLikeApiKey(t) ? apiKey(t) : token(t);
    },
    revoked: (keyIds) => revokedAmong(o.db, keyIds),
  };
}
