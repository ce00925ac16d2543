/**
 * How the server ends a WebSocket connection, one to one with docs/subscriptions.md "Close codes"
 * (test/unit/docs-contract.test.ts holds the two equal).
 * graphql-ws's own codes (its PROTOCOL.md; `CloseCode` in graphql-ws) are listed for completeness: the
 * server uses them through the library and they keep the library's meaning.
 */
import { CloseCode } from 'graphql-ws';

export const SubscriptionCloseCode = {
  /** The server is shutting down (graphql-ws `useServer` dispose). Reconnect with `after` to resume. */
  GoingAway: 1001,
  /**
   * `connection_init` was refused (graphql-ws Forbidden): no or bad credentials, or a role this server does
   * not know; the reason is `<error code>:<refusal reason>`, e.g. `AUDITQL_UNAUTHENTICATED:expired`.
   */
  Forbidden: CloseCode.Forbidden,
  /**
   * The connection's credentials ended while it was open: its token expired (`AUDITQL_TOKEN_EXPIRED`) or its
   * API key was revoked (`AUDITQL_KEY_REVOKED`). Not one graphql-ws's client treats as fatal: it reconnects,
   * calling `connectionParams` again for a fresh token; resubscribe with `after` to miss nothing.
   */
  CredentialsEnded: 4419,
  /**
   * A subscriber could not keep up: it was sent an `error` message with `AUDITQL_SUBSCRIBER_TOO_SLOW`
   * first. The code is graphql-ws's 4429, which its client treats as fatal (no automatic retry with a
   * stale `after`); the reason below tells it apart from "Too many initialisation requests".
   */
  SubscriberTooSlow: 4429,
  /** Unexpected server error (graphql-ws InternalServerError). */
  InternalServerError: CloseCode.InternalServerError,
} as const;

/** Close reasons (at most 123 bytes, the WebSocket limit). */
export const CloseReason = {
  SubscriberTooSlow: 'AUDITQL_SUBSCRIBER_TOO_SLOW',
  Forbidden: 'Forbidden',
  TokenExpired: 'AUDITQL_TOKEN_EXPIRED',
  KeyRevoked: 'AUDITQL_KEY_REVOKED',
} as const;

/** The close reason of a refused `connection_init`: the error code, and the refusal reason when there is one. */
export function closeReasonOf(err: { readonly code: string; readonly reason?: unknown }): string {
  return (typeof err.reason === 'string' ? `${err.code}:${err.reason}` : err.code).slice(0, 123);
}
