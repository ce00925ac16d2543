/**
 * Stable error codes (docs/errors.md lists each with its meaning; test/unit/docs-contract.test.ts holds the
 * two equal). They appear in GraphQL `extensions.code`, in dead letters' `error_code`, and in CLI messages.
 */
export const ErrorCode = {
  UNDECODABLE_RECORD: 'AUDITQL_UNDECODABLE_RECORD',
  UNSUPPORTED_RECORD: 'AUDITQL_UNSUPPORTED_RECORD',
  UNSTORABLE_RECORD: 'AUDITQL_UNSTORABLE_RECORD',
  UNKNOWN_FORMAT: 'AUDITQL_UNKNOWN_FORMAT',
  DECRYPTION_KEY_MISSING: 'AUDITQL_DECRYPTION_KEY_MISSING',
  DECRYPTION_FAILED: 'AUDITQL_DECRYPTION_FAILED',
  BAD_CONFIG: 'AUDITQL_BAD_CONFIG',
  BAD_CURSOR: 'AUDITQL_BAD_CURSOR',
  BAD_KEY: 'AUDITQL_BAD_KEY',
  BAD_INPUT: 'AUDITQL_BAD_INPUT',
  PAGE_TOO_LARGE: 'AUDITQL_PAGE_TOO_LARGE',
  QUERY_TOO_COMPLEX: 'AUDITQL_QUERY_TOO_COMPLEX',
  UNAUTHENTICATED: 'AUDITQL_UNAUTHENTICATED',
  FORBIDDEN: 'AUDITQL_FORBIDDEN',
  RATE_LIMITED: 'AUDITQL_RATE_LIMITED',
  OPERATION_NOT_ALLOWED: 'AUDITQL_OPERATION_NOT_ALLOWED',
  WAREHOUSE_UNAVAILABLE: 'AUDITQL_WAREHOUSE_UNAVAILABLE',
  SOURCE_UNAVAILABLE: 'AUDITQL_SOURCE_UNAVAILABLE',
  SUBSCRIBER_TOO_SLOW: 'AUDITQL_SUBSCRIBER_TOO_SLOW',
  INTERNAL: 'AUDITQL_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error whose message is safe to show a client or an operator: no SQL, no row values, no secrets. */
export class AuditqlError extends Error {
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditqlError';
  }
}

/** A record that cannot be decoded: the pipeline dead-letters it with this code and message, then goes on. */
export class DecodeError extends AuditqlError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DecodeError';
  }
}

export const undecodable = (message: string, cause?: unknown) =>
  new DecodeError(ErrorCode.UNDECODABLE_RECORD, message, cause === undefined ? undefined : { cause });
