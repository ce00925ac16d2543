/**
 * Which rendering the CLI logs in (docs/operations.md "Logs"): `AUDITQL_LOG_FORMAT=json|text`, else JSON
 * lines when stderr is not a terminal (a container, a service manager, a pipe) and text on a terminal.
 */
import { AuditqlError, ErrorCode } from '../errors.js';
import type { LogFormat } from './format.js';

export function logFormatFrom(env: NodeJS.ProcessEnv, isTty: boolean): LogFormat {
  const raw = env.AUDITQL_LOG_FORMAT;
  if (raw === undefined || raw === '') return isTty ? 'text' : 'json';
  if (raw === 'json' || raw === 'text') return raw;
  throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_LOG_FORMAT=${JSON.stringify(raw)}: expected json or text`);
}
