/**
 * The access audit of subscriptions over graphql-ws (docs/security.md "Access audit"): a `subscribe` that
 * was refused (validation, limits, a forbidden field, a bad cursor) leaves one `subscription_start` record
 * with decision `refused`; one that started leaves a `subscription_start` record when it starts and a
 * `subscription_end` record when it ends — however it ends: the client's `complete`, the connection
 * closing, the server stopping, a drop — with the events delivered and how long it ran.
 */
import type { ExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../errors.js';
import type { ApiAccessEntry } from '../../warehouse/queries/api-access.js';
import type { AuthContext } from '../auth.js';
import { documentHash, redactVariables, whoOf } from './access-entry.js';

export type RecordAccess = (e: ApiAccessEntry) => void;

export interface SubscriptionRequest {
  readonly auth: AuthContext;
  readonly clientAddress: string | null;
  readonly query: string;
  readonly operationName: string | null | undefined;
  readonly variables: Readonly<Record<string, unknown>> | null | undefined;
}

type Errors = readonly (GraphQLError | GraphQLFormattedError)[];

/** `forbidden_field` like HTTP's, else the first error's code (`invalid` when it has none: a GraphQL validation error). */
export function refusalReason(errors: Errors): string {
  const codes = errors.map(codeOf);
  if (codes.includes(ErrorCode.FORBIDDEN)) return 'forbidden_field';
  if (codes.includes(ErrorCode.OPERATION_NOT_ALLOWED)) return 'operation_not_allowed';
  return codes[0] ?? 'invalid';
}

/** The stable code of an error: in its extensions, or of the AuditqlError a resolver threw. */
function codeOf(e: GraphQLError | GraphQLFormattedError): string | undefined {
  const code = e.extensions?.['code'] ?? ('originalError' in e ? (e.originalError as { code?: unknown } | undefined)?.code : undefined);
  return typeof code === 'string' ? code : undefined;
}

export interface SubscriptionAudit {
  /** The subscription was refused with these errors. */
  refused(errors: Errors): void;
  /** What graphql-ws got from `subscribe`: a result with errors (refused) or the stream, returned tracked. */
  track<T extends AsyncIterableIterator<ExecutionResult> | ExecutionResult>(result: T): T;
  /** The operation's name from the document, once parsed (when the message did not name it). */
  named(name: string | null | undefined): void;
  /** An event was delivered without passing through the tracked iterator (the fan-out writes to the socket). */
  delivered(): void;
}

export function subscriptionAudit(record: RecordAccess, r: SubscriptionRequest): SubscriptionAudit {
  const started = performance.now();
  let events = 0;
  let ended = false;
  let operationName = r.operationName ?? null;
  const entry = (event: ApiAccessEntry['event'], decision: ApiAccessEntry['decision'], reason: string | null, rows: number | null, duration: number | null): ApiAccessEntry => ({
    at: new Date(), ...whoOf(r.auth, r.clientAddress), transport: 'ws', event, operationType: 'subscription',
    operationName, documentHash: documentHash(r.query), variables: redactVariables(r.variables),
    rowsReturned: rows, decision, reason, durationMs: duration,
  });
  const end = (reason: string | null) => {
    if (ended) return;
    ended = true;
    record(entry('subscription_end', 'allowed', reason, events, performance.now() - started));
  };
  const audit: SubscriptionAudit = {
    refused(errors) {
      record(entry('subscription_start', 'refused', refusalReason(errors), null, performance.now() - started));
    },
    named(name) {
      operationName ??= name ?? null;
    },
    delivered() {
      events++;
    },
    track(result) {
      if (!(Symbol.asyncIterator in (result as object))) {
        audit.refused((result as ExecutionResult).errors ?? []);
        return result;
      }
      record(entry('subscription_start', 'allowed', null, null, null));
      const it = result as AsyncIterableIterator<ExecutionResult>;
      const tracked: AsyncIterableIterator<ExecutionResult> = {
        async next() {
          try {
            const x = await it.next();
            if (x.done) end(null);
            else events++;
            return x;
          } catch (err) {
            end((err as { code?: unknown }).code === undefined ? 'error' : String((err as { code: unknown }).code));
            throw err;
          }
        },
        async return(value?: unknown) {
          end(null);
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
        async throw(err?: unknown) {
          end('error');
          if (it.throw) return it.throw(err);
          throw err;
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return tracked as unknown as typeof result;
    },
  };
  return audit;
}
