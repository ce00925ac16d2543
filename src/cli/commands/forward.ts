/**
 * `auditql forward --name NAME --to splunk-hec|http|kafka|file …` (docs/siem.md "Delivery"): one forwarder
 * until SIGTERM/SIGINT. The token comes from `--token-file` or AUDITQL_FORWARD_TOKEN, never the command line.
 */
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { EnvConfig } from '../../config/env.js';
import type { Warehouse } from '../../warehouse/tables.js';
import type { Logger } from '../../log.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { installSignalHandlers, onShutdown } from '../../lifecycle.js';
import { Forwarder } from '../../siem/forward/forwarder.js';
import { splunkHec } from '../../siem/forward/splunk-hec.js';
import { httpWebhook } from '../../siem/forward/http-webhook.js';
import { rotatedFile } from '../../siem/forward/rotated-file.js';
import { kafkaTopic, type KafkaProducer } from '../../siem/forward/kafka-topic.js';
import { kafkaProducer } from '../../siem/forward/kafka-producer.js';
import { loadKafkaEnv, parseBrokers } from '../../sources/kafka/kafka-env.js';
import type { Destination } from '../../siem/forward/destination.js';
import { SIEM_FORMATS, type SiemFormat } from '../../siem/siem-format.js';
import { parseFilter } from '../../siem/forward/forward-filter.js';
import { loadPolicy } from '../../policy/load-policy.js';
import { processTelemetry } from '../../metrics/telemetry.js';
import { ingestMetricsEndpoint } from './metrics-endpoint.js';
import type { Policy } from '../../policy/policy.js';
import { roleView, type RoleView } from '../../policy/role-view.js';

const DESTINATIONS = ['splunk-hec', 'http', 'kafka', 'file'] as const;
type DestinationKind = (typeof DESTINATIONS)[number];

export interface ForwardArgs {
  readonly name: string;
  readonly to: DestinationKind;
  readonly url: string | null;
  readonly dir: string | null;
  readonly tokenFile: string | null;
  readonly format: SiemFormat;
  readonly filters: readonly string[];
  readonly batchSize: number;
  readonly flushMs: number;
  readonly index: string | null;
  readonly sourcetype: string | null;
  readonly body: 'lines' | 'array';
  /** The policy role the events are masked as (default `siem`). */
  readonly role: string;
  /** kafka: the topic, and the brokers (else AUDITQL_KAFKA_BROKERS). */
  readonly topic: string | null;
  readonly brokers: readonly string[];
}

const bad = (m: string) => new AuditqlError(ErrorCode.BAD_CONFIG, m);

export function parseForwardArgs(argv: readonly string[]): ForwardArgs {
  const v: Record<string, string> = {};
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!flag.startsWith('--') || value === undefined) throw bad(`auditql forward: ${JSON.stringify(flag)} needs a value; run auditql --help`);
    if (flag === '--token') throw bad('auditql forward: a token is never taken on the command line: use --token-file FILE or AUDITQL_FORWARD_TOKEN');
    if (flag === '--filter') filters.push(value);
    else v[flag.slice(2)] = value;
    i++;
  }
  const known = new Set(['name', 'to', 'url', 'dir', 'token-file', 'format', 'batch-size', 'flush-ms', 'index', 'sourcetype', 'body', 'role', 'topic', 'brokers']);
  for (const k of Object.keys(v)) if (!known.has(k)) throw bad(`auditql forward: unknown option --${k}`);
  if (!v.name || !/^[A-Za-z0-9_.-]{1,100}$/.test(v.name)) throw bad('auditql forward: --name NAME is required (letters, digits, _ . -)');
  if (!DESTINATIONS.includes(v.to as DestinationKind)) throw bad(`auditql forward: --to must be one of ${DESTINATIONS.join(', ')}`);
  const format = (v.format ?? 'ocsf') as SiemFormat;
  if (!SIEM_FORMATS.includes(format)) throw bad(`auditql forward: --format must be one of ${SIEM_FORMATS.join(', ')}`);
  if ((v.to === 'splunk-hec' || v.to === 'http') && !v.url) throw bad(`auditql forward: --to ${v.to} needs --url (the full endpoint URL)`);
  if (v.to === 'kafka' && !v.topic) throw bad('auditql forward: --to kafka needs --topic TOPIC');
  if (v.topic !== undefined && !/^[A-Za-z0-9._-]{1,249}$/.test(v.topic)) throw bad("auditql forward: --topic must be 1-249 letters, digits and '._-'");
  const brokers = v.brokers ? parseBrokers([v.brokers], '--brokers') : [];
  if (v.to === 'file' && !v.dir) throw bad('auditql forward: --to file needs --dir DIR');
  const int = (k: string, d: number) => {
    const n = v[k] === undefined ? d : Number(v[k]);
    if (!Number.isInteger(n) || n < 1) throw bad(`auditql forward: --${k} must be a positive integer`);
    return n;
  };
  if (v.body && v.body !== 'lines' && v.body !== 'array') throw bad('auditql forward: --body must be lines or array');
  for (const f of filters) parseFilter([f]); // fail fast naming the filter
  return Object.freeze({
    name: v.name, to: v.to as DestinationKind, url: v.url ?? null, dir: v.dir ?? null, tokenFile: v['token-file'] ?? null, format, filters,
    batchSize: int('batch-size', 500), flushMs: int('flush-ms', 1000), index: v.index ?? null, sourcetype: v.sourcetype ?? null,
    body: (v.body ?? 'lines') as 'lines' | 'array', role: v.role ?? 'siem', topic: v.topic ?? null, brokers,
  });
}

function tokenOf(a: ForwardArgs): string | null {
  if (a.tokenFile) {
    try {
      return readFileSync(a.tokenFile, 'utf8').trim();
    } catch (err) {
      throw bad(`auditql forward: cannot read --token-file ${a.tokenFile} (${(err as Error).message})`);
    }
  }
  return process.env.AUDITQL_FORWARD_TOKEN?.trim() || null;
}

/** Builds the kafkajs producer for `--to kafka`; injected so a test can give its own. */
export type ProducerFactory = (brokers: readonly string[], log: Logger) => KafkaProducer;

const kafkajsProducer: ProducerFactory = (brokers, log) => kafkaProducer(brokers, loadKafkaEnv(), log);

export function destinationOf(a: ForwardArgs, log: Logger, producerOf: ProducerFactory = kafkajsProducer): Destination {
  const token = tokenOf(a);
  switch (a.to) {
    case 'kafka': {
      const brokers = a.brokers.length > 0 ? a.brokers : loadKafkaEnv().brokers;
      if (brokers.length === 0) throw bad('auditql forward: --to kafka needs --brokers HOST:PORT[,HOST:PORT...] (or AUDITQL_KAFKA_BROKERS)');
      return kafkaTopic({ producer: producerOf(brokers, log), topic: a.topic!, format: a.format });
    }
    case 'splunk-hec':
      if (!token) throw bad('auditql forward: --to splunk-hec needs a token: --token-file FILE or AUDITQL_FORWARD_TOKEN');
      return splunkHec({ url: a.url!, token, index: a.index, sourcetype: a.sourcetype ?? `auditql:${a.format}`, source: `auditql:${a.name}` });
    case 'http':
      return httpWebhook({ url: a.url!, secret: token, body: a.body });
    case 'file':
      return rotatedFile({ dir: a.dir!, name: a.name });
  }
}

/** The role's view under the policy (AUDITQL_POLICY and the built-in roles); a role it does not define fails fast. */
export function forwarderView(a: ForwardArgs, policy: Policy): RoleView {
  const view = roleView(policy, a.role);
  if (!view) throw bad(`auditql forward --name ${a.name}: --role ${JSON.stringify(a.role)} is not a role of the policy (${[...policy.roles.keys()].join(', ')})`);
  return view;
}

export interface ForwarderRun {
  readonly args: ForwardArgs;
  readonly view: RoleView;
  readonly destination: Destination;
}

/** Parse, resolve the role and build the destination: everything that can be refused before anything starts. */
export function prepareForwarder(argv: readonly string[], policy: Policy, log: Logger): ForwarderRun {
  const args = parseForwardArgs(argv);
  return { args, view: forwarderView(args, policy), destination: destinationOf(args, log) };
}

export function forwarderOf(run: ForwarderRun, db: Kysely<Warehouse>, log: Logger): Forwarder {
  const a = run.args;
  return new Forwarder({
    observer: processTelemetry().forward.observer(a.name, db),
    name: a.name, db, destination: run.destination, destinationKind: a.to, format: a.format, filter: parseFilter(a.filters), view: run.view, log,
    batchSize: a.batchSize, flushMs: a.flushMs,
    onAcked: (seq, n) => log.debug(`forwarder ${a.name}: ${n} events acknowledged, cursor ${seq}`),
  });
}

export async function forwardCommand(env: EnvConfig, argv: readonly string[], log: Logger): Promise<number> {
  const run = prepareForwarder(argv, loadPolicy(), log);
  installSignalHandlers();
  const metrics = await ingestMetricsEndpoint(env, log);
  if (metrics) onShutdown(() => metrics.close());
  const c = await connectWarehouse(env, { log: log.info, poolMax: 2, applicationName: `auditql forward ${run.args.name}` });
  const f = forwarderOf(run, c.warehouse.db, log);
  onShutdown(() => c.close());
  onShutdown(() => f.stop());
  await f.start();
  return 0;
}
