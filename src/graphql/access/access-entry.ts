/**
 * The parts of an access record (docs/security.md "Access audit") that every transport builds the same
 * way: who asked, the document's hash, the variables' names with their values redacted, a refusal.
 */
import { createHash } from 'node:crypto';
import type { ApiAccessEntry } from '../../warehouse/queries/api-access.js';
import type { AuthContext } from '../auth.js';

export const REDACTED = Object.freeze({ $masked: 'redact' });

/** Names → `{"$masked": "redact"}`: a value may be the very secret a role has masked. */
export const redactVariables = (v: Readonly<Record<string, unknown>> | undefined | null): Record<string, unknown> | null =>
  v ? Object.fromEntries(Object.keys(v).map((k) => [k, REDACTED])) : null;

/** Hex SHA-256 of the document text as sent (what `operations: ["sha256:…"]` allow-lists name). */
export const documentHash = (query: string | undefined | null): string | null =>
  query ? createHash('sha256').update(query, 'utf8').digest('hex') : null;

/** The who-columns of a record, from the caller's `AuthContext`. */
export const whoOf = (auth: AuthContext, clientAddress: string | null) => ({
  principal: auth.principal, role: auth.role ?? null, authKind: auth.kind ?? null, clientAddress,
});

/** A refusal before GraphQL ran (credentials, Origin, rate limit): who, when known, and why. */
export function refusalEntry(transport: ApiAccessEntry['transport'], clientAddress: string | null, reason: string, auth?: AuthContext): ApiAccessEntry {
  return {
    at: new Date(), ...(auth ? whoOf(auth, clientAddress) : { principal: null, role: null, authKind: null, clientAddress }), transport,
    event: 'refusal', operationType: null, operationName: null, documentHash: null, variables: null, rowsReturned: null,
    decision: 'refused', reason, durationMs: null,
  };
}
