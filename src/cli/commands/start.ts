import type { EnvConfig } from '../../config/env.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';

/** Replaced by the GraphQL server (issue #4). */
export async function startCommand(_env: EnvConfig, _log: Logger): Promise<number> {
  throw new AuditqlError(ErrorCode.BAD_CONFIG, 'start: the GraphQL API is not built yet');
}
