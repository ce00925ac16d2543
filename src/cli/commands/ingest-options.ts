/** Parsing and validation of `auditql ingest` options, once, naming the bad flag. */
import { parseArgs } from 'node:util';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { DecodeContext } from '../../decoders/decoder.js';
import { decodeContext, DEFAULT_CONTEXT_PREFIX } from '../../decoders/context.js';
import { FORMATS, isFormatChoice, type FormatChoice } from '../../decoders/registry.js';
import { parseKeyColumns } from '../../model/row-key.js';
import { loadMapping } from './mapping-option.js';

import { INGEST_FROM, isIngestFrom, type IngestFrom } from './ingest-sources.js';

export type { IngestFrom } from './ingest-sources.js';

export interface IngestOptions {
  readonly from: IngestFrom;
  readonly format: FormatChoice;
  readonly source: string;
  readonly json: boolean;
  readonly files: readonly string[];
  /** `--from file --follow`: read the one FILE as it grows, until stopped (a live source). */
  readonly follow: boolean;
  readonly batchSize: number;
  /** `--in-flight K`: batches of different streams written side by side at most (1–8, default 1). */
  readonly inFlight: number;
  readonly ctx: DecodeContext;
  readonly sourceUrl?: string;
  readonly publication?: string;
  readonly slot?: string;
  readonly createSlot: boolean;
  readonly brokers: readonly string[];
  readonly group?: string;
  readonly topics: readonly { pattern: string; format: FormatChoice }[];
  /** kinesis: the stream, the region, an endpoint (kinesalite, LocalStack), the lease time. */
  readonly stream?: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly leaseMs?: number;
  /** amqp: the broker URL, the queue, how many unacknowledged messages the broker may send ahead. */
  readonly url?: string;
  readonly queue?: string;
  readonly prefetch?: number;
}

/** Batches in flight at most: each holds a connection of the warehouse pool (10), which also serves checkpoints and leases. */
export const MAX_IN_FLIGHT = 8;

const bad = (m: string) => new AuditqlError(ErrorCode.BAD_CONFIG, m);

export function parseIngestArgs(argv: readonly string[]): IngestOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        from: { type: 'string' },
        format: { type: 'string', default: 'auto' },
        source: { type: 'string', default: 'default' },
        key: { type: 'string', multiple: true, default: [] },
        json: { type: 'boolean', default: false },
        'log-line-prefix': { type: 'string' },
        'server-log': { type: 'boolean', default: false },
        follow: { type: 'boolean', default: false },
        mapping: { type: 'string' },
        'maxwell-key': { type: 'string' },
        'das-resource-id': { type: 'string' },
        server: { type: 'string' },
        'context-prefix': { type: 'string', default: DEFAULT_CONTEXT_PREFIX },
        'batch-size': { type: 'string', default: '5000' },
        'in-flight': { type: 'string', default: '1' },
        'source-url': { type: 'string' },
        publication: { type: 'string' },
        slot: { type: 'string' },
        'create-slot': { type: 'boolean', default: false },
        brokers: { type: 'string' },
        group: { type: 'string' },
        topic: { type: 'string', multiple: true, default: [] },
        stream: { type: 'string' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        'lease-ms': { type: 'string' },
        url: { type: 'string' },
        queue: { type: 'string' },
        prefetch: { type: 'string' },
      },
    });
  } catch (err) {
    throw bad(`ingest: ${(err as Error).message}`);
  }
  const v = parsed.values;
  const from = v.from;
  if (!isIngestFrom(from)) throw bad(`ingest: --from must be ${INGEST_FROM.slice(0, -1).join(', ')} or ${INGEST_FROM.at(-1)}`);
  if (!isFormatChoice(v.format!)) {
    throw new AuditqlError(ErrorCode.UNKNOWN_FORMAT, `ingest: unknown --format ${JSON.stringify(v.format)}; expected ${FORMATS.join(', ')} or auto`);
  }
  if (v.follow && (from !== 'file' || parsed.positionals.length !== 1)) throw bad('ingest: --follow reads exactly one FILE of --from file');
  const batchSize = Number(v['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw bad('ingest: --batch-size must be an integer from 1 to 100000');
  const inFlight = Number(v['in-flight']);
  if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > MAX_IN_FLIGHT) throw bad(`ingest: --in-flight must be an integer from 1 to ${MAX_IN_FLIGHT}`);
  if (!v.source || !/^[\w.:@/-]{1,200}$/.test(v.source)) throw bad('ingest: --source must be 1-200 characters of letters, digits and ._:@/-');
  if (v.server !== undefined && !/^[\w.:@/-]{1,200}$/.test(v.server)) throw bad('ingest: --server must be 1-200 characters of letters, digits and ._:@/-');
  let keyColumns;
  try {
    keyColumns = parseKeyColumns(v.key ?? []);
  } catch (err) {
    throw bad(`ingest: ${(err as Error).message}`);
  }
  const topics = (v.topic ?? []).map((t) => {
    const eq = t.lastIndexOf('=');
    const pattern = eq > 0 ? t.slice(0, eq) : t;
    const format = eq > 0 ? t.slice(eq + 1) : 'auto';
    if (!isFormatChoice(format)) throw new AuditqlError(ErrorCode.UNKNOWN_FORMAT, `ingest: --topic ${t}: unknown format ${JSON.stringify(format)}`);
    return { pattern, format };
  });
  const leaseMs = v['lease-ms'] === undefined ? undefined : Number(v['lease-ms']);
  if (leaseMs !== undefined && (!Number.isInteger(leaseMs) || leaseMs < 1000 || leaseMs > 600_000)) throw bad('ingest: --lease-ms must be an integer from 1000 to 600000');
  const prefetch = v.prefetch === undefined ? undefined : Number(v.prefetch);
  if (prefetch !== undefined && (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535)) throw bad('ingest: --prefetch must be an integer from 1 to 65535');
  const mapping = loadMapping(v.mapping, [v.format!, ...topics.map((t) => (t.format === 'auto' ? v.format! : t.format))]);
  return {
    from,
    format: v.format as FormatChoice,
    source: v.source,
    json: Boolean(v.json),
    files: parsed.positionals,
    follow: Boolean(v.follow),
    batchSize,
    inFlight,
    ctx: decodeContext({
      keyColumns,
      contextPrefix: v['context-prefix']!,
      ...(v['log-line-prefix'] !== undefined ? { logLinePrefix: v['log-line-prefix'] } : {}),
      ...(v['server-log'] ? { serverLog: true } : {}),
      ...(v['maxwell-key'] !== undefined ? { maxwellKey: v['maxwell-key'] } : {}),
      ...(v['das-resource-id'] !== undefined ? { dasResourceId: v['das-resource-id'] } : {}),
      ...(v.server !== undefined ? { server: v.server } : {}),
      ...(mapping ? { mapping } : {}),
    }),
    ...(v['source-url'] !== undefined ? { sourceUrl: v['source-url'] } : {}),
    ...(v.publication !== undefined ? { publication: v.publication } : {}),
    ...(v.slot !== undefined ? { slot: v.slot } : {}),
    createSlot: Boolean(v['create-slot']),
    brokers: v.brokers ? v.brokers.split(',').map((s) => s.trim()).filter(Boolean) : [],
    ...(v.group !== undefined ? { group: v.group } : {}),
    topics,
    ...(v.stream !== undefined ? { stream: v.stream } : {}),
    ...(v.region !== undefined ? { region: v.region } : {}),
    ...(v.endpoint !== undefined ? { endpoint: v.endpoint } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(v.url !== undefined ? { url: v.url } : {}),
    ...(v.queue !== undefined ? { queue: v.queue } : {}),
    ...(prefetch !== undefined ? { prefetch } : {}),
  };
}
