import type { EnvConfig } from '../../config/env.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { IngestOptions } from './ingest-options.js';

/** Replaced by the PostgreSQL and Kafka sources (issue #5). */
export async function ingestLiveCommand(_env: EnvConfig, o: IngestOptions, _log: Logger): Promise<number> {
  throw new AuditqlError(ErrorCode.BAD_CONFIG, `ingest --from ${o.from} is not built yet`);
}
