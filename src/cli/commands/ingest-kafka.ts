/**
 * `auditql ingest --from kafka --brokers HOST:PORT,… --group ID --topic PATTERN=FORMAT … [--source NAME]`:
 * consume topics as a member of a consumer group until SIGINT/SIGTERM (docs/sources/kafka.md). Each topic
 * is decoded by the format of the first `--topic` route that matches it; a route without `=FORMAT` uses
 * `--format` (default auto). Client TLS/SASL and tuning come from AUDITQL_KAFKA_* (src/sources/kafka/kafka-env.ts).
 */
import type { EnvConfig } from '../../config/env.js';
import { AuditqlError, DecodeError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Decoder } from '../../decoders/decoder.js';
import { loadDecoder } from '../../decoders/registry.js';
import { reportSummary, startIngest } from '../../ingest/run.js';
import { LIVE_OUTAGE, outagePolicy, retrying } from '../../retry-policy.js';
import { installSignalHandlers } from '../../lifecycle.js';
import { kafkaSource } from '../../sources/kafka/kafka-source.js';
import { loadKafkaEnv, parseBrokers } from '../../sources/kafka/kafka-env.js';
import { parseTopicRoutes, routeFor, type TopicRoute } from '../../sources/kafka/topic-routes.js';
import type { SourceRecord } from '../../contracts/records.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { processTelemetry } from '../../metrics/telemetry.js';
import { readCheckpoints } from '../../warehouse/sink.js';
import type { IngestOptions } from './ingest-options.js';

const bad = (m: string) => new AuditqlError(ErrorCode.BAD_CONFIG, `ingest --from kafka: ${m}`);

/** A topic no route claims (cannot happen for subscribed topics): its records are dead-lettered, not guessed. */
const unrouted: Decoder = Object.freeze({
  format: 'auto',
  recognizes: () => false,
  decode: (r: SourceRecord) => {
    throw new DecodeError(ErrorCode.UNKNOWN_FORMAT, `no --topic route matches topic ${JSON.stringify(r.topic ?? null)}`);
  },
});

/** `record → decoder` by topic, with every route's decoder loaded up front. */
export async function topicDecoders(routes: readonly TopicRoute[]): Promise<(record: SourceRecord) => Decoder> {
  const byFormat = new Map<string, Decoder>();
  for (const r of routes) if (!byFormat.has(r.format)) byFormat.set(r.format, await loadDecoder(r.format));
  const byTopic = new Map<string, Decoder>();
  return (record) => {
    const topic = record.topic ?? '';
    let d = byTopic.get(topic);
    if (!d) {
      const route = routeFor(routes, topic);
      d = (route && byFormat.get(route.format)) ?? unrouted;
      byTopic.set(topic, d);
    }
    return d;
  };
}

export async function ingestKafkaCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  const kenv = loadKafkaEnv();
  if (o.files.length > 0) throw bad(`unexpected argument ${JSON.stringify(o.files[0])}: Kafka ingest reads no files`);
  const brokers = o.brokers.length > 0 ? parseBrokers(o.brokers, '--brokers') : kenv.brokers;
  if (brokers.length === 0) throw bad('--brokers HOST:PORT[,HOST:PORT...] is required (or set AUDITQL_KAFKA_BROKERS)');
  if (!o.group) throw bad('--group ID is required: the consumer group (processes with the same group share the partitions)');
  if (!/^[\w.:@-]{1,249}$/.test(o.group)) throw bad("--group must be 1-249 letters, digits and '._:@-'");
  if (o.topics.length === 0) throw bad('at least one --topic PATTERN=FORMAT is required, e.g. --topic /dbserver1\\..+/=debezium');
  const routes = parseTopicRoutes(o.topics.map((t) => ({ pattern: t.pattern, format: t.format === 'auto' ? o.format : t.format })));
  const decoderFor = await topicDecoders(routes);

  const outage = outagePolicy(env.outageLimitS, LIVE_OUTAGE);
  const c = await connectWarehouse(env, {
    log: log.info, applicationName: 'auditql ingest kafka', retry: retrying({ what: 'the warehouse', policy: outage, log: log.warn }),
  });
  try {
    const pool = c.warehouse.pool;
    const source = kafkaSource({
      brokers,
      groupId: o.group,
      routes,
      client: kenv,
      checkpoints: () => readCheckpoints(pool, o.source),
      log,
    });
    let lastReport = Date.now();
    installSignalHandlers();
    const run = startIngest({
      pool,
      sourceName: o.source,
      source,
      decoderFor,
      ctx: o.ctx,
      live: true,
      batchSize: o.batchSize,
      inFlight: o.inFlight,
      outage,
      log,
      observer: processTelemetry().ingest.observer(o.source),
      onBatch: (_r, s) => {
        if (Date.now() - lastReport < 10_000) return;
        lastReport = Date.now();
        log.info(`kafka: read ${s.read}, stored ${s.stored}, duplicates ${s.duplicates}, dead-lettered ${s.deadLettered}, skipped ${s.skipped}`);
      },
    });
    let summary;
    try {
      summary = await run.done;
    } catch (err) {
      if (err instanceof Error && err.name.startsWith('KafkaJS')) {
        throw new AuditqlError(ErrorCode.INTERNAL, `kafka (${brokers.join(',')}): ${err.message}`, { cause: err });
      }
      throw err;
    }
    reportSummary(summary, { json: o.json, label: 'kafka: ', log });
    return 0;
  } finally {
    await c.close();
  }
}
