/** `auditql ingest` flags for the stream sources and mappings: validated once, naming the flag. */
import { describe, expect, it } from 'vitest';
import { parseIngestArgs } from '../../src/cli/commands/ingest-options.js';
import { INGEST_FROM } from '../../src/cli/commands/ingest-sources.js';
import { AuditqlError, ErrorCode } from '../../src/errors.js';

const MAPPING = new URL('../fixtures/mapped/app-audit.mapping.json', import.meta.url).pathname;

function refusal(args: string[]): string {
  try {
    parseIngestArgs(args);
  } catch (err) {
    expect((err as AuditqlError).code).toBe(ErrorCode.BAD_CONFIG);
    return (err as Error).message;
  }
  throw new Error('expected the flags to be refused');
}

describe('ingest flags', () => {
  it('--from takes every registered source, and names them when wrong', () => {
    expect(INGEST_FROM).toEqual(['file', 'postgres', 'kafka', 'kinesis', 'amqp']);
    for (const from of INGEST_FROM) expect(parseIngestArgs(['--from', from]).from).toBe(from);
    expect(refusal(['--from', 'sqs'])).toBe('ingest: --from must be file, postgres, kafka, kinesis or amqp');
  });

  it('--follow reads one file; --server-log reaches the decode context', () => {
    const f = parseIngestArgs(['--from', 'file', '--format', 'pgaudit', '--follow', '--server-log', 'pg.csv']);
    expect([f.follow, f.files, f.ctx.serverLog]).toEqual([true, ['pg.csv'], true]);
    expect(parseIngestArgs(['--from', 'file', 'a.json']).ctx.serverLog).toBeUndefined();
    expect(refusal(['--from', 'file', '--follow', 'a.csv', 'b.csv'])).toBe('ingest: --follow reads exactly one FILE of --from file');
    expect(refusal(['--from', 'kafka', '--follow'])).toBe('ingest: --follow reads exactly one FILE of --from file');
  });

  it('kinesis and amqp flags', () => {
    const k = parseIngestArgs(['--from', 'kinesis', '--stream', 's', '--region', 'eu-west-1', '--endpoint', 'http://127.0.0.1:4567', '--lease-ms', '5000']);
    expect([k.stream, k.region, k.endpoint, k.leaseMs]).toEqual(['s', 'eu-west-1', 'http://127.0.0.1:4567', 5000]);
    expect(refusal(['--from', 'kinesis', '--lease-ms', '10'])).toMatch(/--lease-ms must be an integer from 1000/);
    const a = parseIngestArgs(['--from', 'amqp', '--url', 'amqp://127.0.0.1', '--queue', 'q', '--prefetch', '50']);
    expect([a.url, a.queue, a.prefetch]).toEqual(['amqp://127.0.0.1', 'q', 50]);
    expect(refusal(['--from', 'amqp', '--prefetch', '0'])).toMatch(/--prefetch must be an integer from 1 to 65535/);
  });

  it('--mapping is compiled into the decode context, for --format mapped or a mapped topic route only', () => {
    expect(parseIngestArgs(['--from', 'file', '--format', 'mapped', '--mapping', MAPPING]).ctx.mapping?.name).toBe('shop-app');
    expect(parseIngestArgs(['--from', 'kafka', '--topic', 'app=mapped', '--mapping', MAPPING]).ctx.mapping?.types).toHaveLength(2);
    expect(refusal(['--from', 'file', '--format', 'mapped'])).toMatch(/--format mapped needs --mapping FILE/);
    expect(refusal(['--from', 'file', '--format', 'das', '--mapping', MAPPING])).toMatch(/--mapping is only read with --format mapped/);
    expect(refusal(['--from', 'file', '--format', 'mapped', '--mapping', '/nonexistent.json'])).toBe('--mapping /nonexistent.json: ENOENT');
  });
});
