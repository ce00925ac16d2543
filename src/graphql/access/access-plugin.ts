/**
 * The access audit of HTTP GraphQL operations (docs/security.md "Access audit"): an Apollo plugin that,
 * as each response is sent, queues one record — who (principal, role, credential kind, client address),
 * what (operation type and name, SHA-256 of the document, variable names with values redacted), how much
 * (rows: edges and nodes in the answer), the decision (refused when a field was forbidden) and how long.
 * Refusals before GraphQL (no or bad credentials) are recorded by `refusalRecorder`.
 */
import type { Request } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import type { AuthRefusal } from '../../auth/principal.js';
import { ErrorCode } from '../../errors.js';
import type { ApiContext } from '../context.js';
import type { AccessRecorder } from './access-recorder.js';
import { documentHash, redactVariables, refusalEntry, whoOf } from './access-entry.js';

/**
 * Rows in an answer: the length of every `edges` list (or `nodes`, when there are no edges beside it).
 * Only GraphQL's own result objects are walked: graphql-js builds each with `Object.create(null)`, while
 * the values of JSON fields (`before`, `after`, `key`, …) are plain objects, so a row's images are never
 * walked, and an image that happens to hold an `edges` list is not counted.
 */
function rowsIn(data: unknown): number {
  if (Array.isArray(data)) {
    let n = 0;
    for (const x of data) if (typeof x === 'object' && x !== null) n += rowsIn(x);
    return n;
  }
  if (typeof data !== 'object' || data === null || Object.getPrototypeOf(data) !== null) return 0;
  const o = data as Record<string, unknown>;
  let n = 0;
  for (const k in o) {
    const v = o[k];
    if (typeof v !== 'object' || v === null) continue;
    if (k === 'edges' && Array.isArray(v)) n += v.length;
    else if (k === 'nodes' && Array.isArray(v) && !Array.isArray(o['edges'])) n += v.length;
    n += rowsIn(v);
  }
  return n;
}

export function accessPlugin(recorder: AccessRecorder): ApolloServerPlugin<ApiContext> {
  return {
    async requestDidStart({ request }) {
      const started = performance.now();
      return {
        async willSendResponse({ contextValue: ctx, operation, response, queryHash }) {
          const body = response.body.kind === 'single' ? response.body.singleResult : null;
          const forbidden = body?.errors?.some((e) => e.extensions?.['code'] === ErrorCode.FORBIDDEN) ?? false;
          const notAllowed = body?.errors?.some((e) => e.extensions?.['code'] === ErrorCode.OPERATION_NOT_ALLOWED) ?? false;
          recorder.record({
            at: new Date(),
            ...whoOf(ctx.auth, ctx.clientAddress ?? null),
            transport: 'http',
            event: 'operation',
            operationType: operation?.operation ?? null,
            operationName: request.operationName ?? operation?.name?.value ?? null,
            // Apollo's queryHash is the SHA-256 (hex) of this text, computed for its document cache.
            documentHash: request.query ? (queryHash ?? documentHash(request.query)) : null,
            variables: redactVariables(request.variables),
            rowsReturned: body?.data ? rowsIn(body.data) : 0,
            decision: forbidden || notAllowed ? 'refused' : 'allowed',
            reason: forbidden ? 'forbidden_field' : notAllowed ? 'operation_not_allowed' : (body?.errors?.[0]?.extensions?.['code'] as string | undefined) ?? null,
            durationMs: performance.now() - started,
          });
        },
      };
    },
  };
}

/** The `httpAuthentication` refusal hook: a refused request is recorded with its reason. */
export const refusalRecorder = (recorder: AccessRecorder) => (req: Request, r: AuthRefusal): void =>
  recorder.record(refusalEntry('http', req.socket.remoteAddress ?? null, r.reason));
