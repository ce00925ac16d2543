/**
 * What clients see of errors (docs/errors.md): mask by default, pass what is known to be safe.
 *
 * - An `AuditqlError` whose code is a client mistake (bad cursor, bad key, page too large …) keeps its
 *   message and carries its code in `extensions.code`.
 * - Request-level GraphQL errors (syntax, validation, variables, limits) describe only the client's own
 *   document and pass as they are.
 * - Anything else — a failed SQL statement, a bug, a value that does not serialize — is logged server-side
 *   with a correlation id; the client gets `AUDITQL_INTERNAL` (or `AUDITQL_WAREHOUSE_UNAVAILABLE`) and that
 *   id, never the message: it could hold SQL, row values or secrets.
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { AuditqlError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { graphqlJs } from './graphql-js.js';

const { GraphQLError } = graphqlJs;

/** Codes whose messages are written for clients: they pass unmasked. */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  ErrorCode.BAD_CURSOR, ErrorCode.BAD_KEY, ErrorCode.BAD_INPUT, ErrorCode.PAGE_TOO_LARGE, ErrorCode.QUERY_TOO_COMPLEX, ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
]);

const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect/i;

function warehouseDown(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')) return true;
  if (err instanceof AuditqlError && err.code === ErrorCode.WAREHOUSE_UNAVAILABLE) return true;
  return err instanceof Error && CONNECTION_FAILURE.test(err.message);
}

export function createFormatError(log: Logger): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const original = unwrapResolverError(error);
    const where = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
    if (original instanceof AuditqlError && CLIENT_ERROR_CODES.has(original.code)) {
      return { message: original.message, ...where, extensions: { code: original.code } };
    }
    // A GraphQLError with no path, caused by nothing but another GraphQLError (Apollo wraps validation
    // errors), is about the request document itself: syntax, validation, variables, limits.
    const requestLevel =
      original instanceof GraphQLError && !formatted.path && (original.originalError == null || original.originalError instanceof GraphQLError);
    if (requestLevel && formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const correlationId = randomUUID();
    const down = warehouseDown(original);
    const detail = original instanceof Error ? (original.stack ?? original.message) : String(original);
    log.error(`graphql error ${correlationId}${formatted.path ? ` at ${formatted.path.join('.')}` : ''}: ${detail}`);
    return {
      message: down
        ? `the warehouse is unavailable; try again (correlation id ${correlationId})`
        : `internal error (correlation id ${correlationId}); the server log has the details`,
      ...where,
      extensions: { code: down ? ErrorCode.WAREHOUSE_UNAVAILABLE : ErrorCode.INTERNAL, correlationId },
    };
  };
}
