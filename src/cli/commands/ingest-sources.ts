/**
 * `--from NAME` → the command that runs that transport. Adding a source is its folder under src/sources/,
 * its command file here, and one line below; `ingest-options.ts` takes the names from this table.
 */
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import type { IngestOptions } from './ingest-options.js';

export type IngestCommand = (env: EnvConfig, o: IngestOptions, log: Logger) => Promise<number>;

// Loaded on demand: a command pays only for its own transport's client library.
export const INGEST_SOURCES = {
  file: async () => (await import('./ingest-file.js')).ingestFileCommand,
  postgres: async () => (await import('./ingest-postgres.js')).ingestPostgresCommand,
  kafka: async () => (await import('./ingest-kafka.js')).ingestKafkaCommand,
  kinesis: async () => (await import('./ingest-kinesis.js')).ingestKinesisCommand,
  amqp: async () => (await import('./ingest-amqp.js')).ingestAmqpCommand,
} as const satisfies Record<string, () => Promise<IngestCommand>>;

export type IngestFrom = keyof typeof INGEST_SOURCES;
export const INGEST_FROM = Object.keys(INGEST_SOURCES) as IngestFrom[];
export const isIngestFrom = (name: string | undefined): name is IngestFrom => name !== undefined && Object.hasOwn(INGEST_SOURCES, name);
