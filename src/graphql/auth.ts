/**
 * Who is connecting: the hook the security work plugs in (docs/subscriptions.md "Authentication").
 * For subscriptions, graphql-ws's `connection_init` payload (`connectionParams` on the client) is passed to
 * the hook once per WebSocket connection; `null` refuses the connection (close 4403 Forbidden), anything
 * else is the connection's `AuthContext`, available to every operation on it (`context.auth`).
 * The default allows everyone, anonymously.
 */

/** What the API knows about the caller. Immutable; the security work may carry more in `claims`. */
export interface AuthContext {
  /** Who it is (a user, a service account); null when anonymous. */
  readonly principal: string | null;
  /** Whatever the hook established (roles, tenant …). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Decide on a connection from its parameters: an `AuthContext`, or null to refuse it. A throw refuses it too. */
export type AuthHook = (params: Record<string, unknown> | undefined) => Promise<AuthContext | null>;

export const ANONYMOUS: AuthContext = Object.freeze({ principal: null, claims: Object.freeze({}) });

/** The default hook: everyone is allowed, as `ANONYMOUS`. */
export const allowAll: AuthHook = async () => ANONYMOUS;
