/**
 * Who is connecting (docs/security.md; docs/subscriptions.md "Authentication").
 * For subscriptions, graphql-ws's `connection_init` payload (`connectionParams` on the client) is passed to
 * the hook once per WebSocket connection; `null` refuses the connection (close 4403 Forbidden), anything
 * else is the connection's `AuthContext`, available to every operation on it (`context.auth`).
 * The API server builds its hook from its `Authenticator` (src/auth/authenticator.ts, `authHookOf` below);
 * `allowAll` remains for embedding the transport alone.
 */
import type { Authenticator } from '../auth/authenticator.js';
import type { AuthKind, Principal } from '../auth/principal.js';

/** What the API knows about the caller. Immutable; the security work may carry more in `claims`. */
export interface AuthContext {
  /** Who it is (a user, a service account); null when anonymous. */
  readonly principal: string | null;
  /** Whatever the hook established (roles, tenant …). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The policy role the caller acts as (docs/security.md "Roles"); absent: the hook did not say. */
  readonly role?: string;
  readonly kind?: AuthKind;
  /** When the credential ends (ms since the epoch; a JWT's `exp`); null: until revoked. */
  readonly expiresAtMs?: number | null;
  /** The API key id, watched for revocation. */
  readonly keyId?: string | null;
}

export function authContextOf(p: Principal): AuthContext {
  return Object.freeze({
    principal: p.principal, claims: Object.freeze({}), role: p.role, kind: p.kind, expiresAtMs: p.expiresAt?.getTime() ?? null, keyId: p.keyId,
  });
}

/** graphql-ws `connectionParams: { authorization: "Bearer …" }` through the authenticator (a refusal throws). */
export function authHookOf(a: Authenticator): AuthHook {
  return async (params) => {
    const raw = params?.authorization ?? params?.Authorization;
    return authContextOf(await a.authenticate(typeof raw === 'string' ? raw : undefined));
  };
}

/** Decide on a connection from its parameters: an `AuthContext`, or null to refuse it. A throw refuses it too. */
export type AuthHook = (params: Record<string, unknown> | undefined) => Promise<AuthContext | null>;

export const ANONYMOUS: AuthContext = Object.freeze({ principal: null, claims: Object.freeze({}) });

/** The default hook: everyone is allowed, as `ANONYMOUS`. */
export const allowAll: AuthHook = async () => ANONYMOUS;
