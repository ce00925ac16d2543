/** `auditql ingest --from postgres|kafka|kinesis|…`: long-running sources, until SIGINT/SIGTERM, by the `--from` table. */
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import type { IngestOptions } from './ingest-options.js';
import { INGEST_SOURCES } from './ingest-sources.js';

export async function ingestLiveCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  return (await INGEST_SOURCES[o.from]())(env, o, log);
}
