/** `auditql ingest --from postgres|kafka`: long-running sources, until SIGINT/SIGTERM. */
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import type { IngestOptions } from './ingest-options.js';
import { ingestPostgresCommand } from './ingest-postgres.js';
import { ingestKafkaCommand } from './ingest-kafka.js';

export async function ingestLiveCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  return o.from === 'postgres' ? ingestPostgresCommand(env, o, log) : ingestKafkaCommand(env, o, log);
}
