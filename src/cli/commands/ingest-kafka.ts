import type { EnvConfig } from '../../config/env.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { IngestOptions } from './ingest-options.js';

/** Placeholder until the kafka source lands (issue #5). */
export async function ingestKafkaCommand(_env: EnvConfig, _o: IngestOptions, _log: Logger): Promise<number> {
  throw new AuditqlError(ErrorCode.BAD_CONFIG, 'ingest --from kafka is not built yet');
}
