/**
 * The Debezium decoder against its golden fixtures (test/fixtures/debezium/, one case per real-world shape of
 * docs/formats/debezium.md "Source facts"), decoded exactly as `auditql ingest --from file` does; plus the decoder's own contract:
 * what it recognizes, and that it never puts row values in an error.
 */
import { describe, expect, it } from 'vitest';
import { debeziumDecoder } from '../../src/decoders/debezium/decoder.js';
import { decodeContext } from '../../src/decoders/context.js';
import { decodeRecord } from '../../src/ingest/decode-record.js';
import { comparable, decodeFixture, fixtureCases, expectDecodedAsExpected } from '../helpers/fixtures.js';

const cases = fixtureCases('debezium');

describe('Debezium fixtures', () => {
  it('has the fixture set', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const got = await decodeFixture(c, debeziumDecoder);
      expectDecodedAsExpected(got, c.expected);
    });
  }
});

describe('Debezium recognizes', () => {
  const source = { connector: 'postgresql', name: 'dbserver1', db: 'inventory', schema: 'public', table: 't' };
  it('claims data events, bare and schema-wrapped, transaction and schema-change values, Connect tombstones', () => {
    expect(debeziumDecoder.recognizes({ op: 'c', source, after: { id: 1 } })).toBe(true);
    expect(debeziumDecoder.recognizes({ schema: { type: 'struct' }, payload: { op: 'u', source } })).toBe(true);
    expect(debeziumDecoder.recognizes({ schema: null, payload: { op: 'm', source, message: { prefix: 'x' } } })).toBe(true);
    expect(debeziumDecoder.recognizes({ status: 'BEGIN', id: '571:53195829', ts_ms: 1, event_count: null, data_collections: null })).toBe(true);
    expect(debeziumDecoder.recognizes({ source: { name: 'm' }, databaseName: 'inventory', ddl: 'CREATE TABLE t (id int)', tableChanges: [] })).toBe(true);
    expect(debeziumDecoder.recognizes({ schema: null, payload: null })).toBe(true);
    expect(debeziumDecoder.recognizes({ ts_ms: 1718003300001 })).toBe(true); // heartbeat: auto skips it too
  });
  it('does not claim Maxwell, DAS or other shapes', () => {
    expect(debeziumDecoder.recognizes({ database: 'test', table: 't', type: 'insert', ts: 1, data: { id: 1 } })).toBe(false);
    expect(debeziumDecoder.recognizes({ database: 'test', table: 't', type: 'table-create', sql: 'CREATE TABLE t (id int)', def: {} })).toBe(false);
    expect(debeziumDecoder.recognizes({ type: 'DatabaseActivityMonitoringRecords', version: '1.1', databaseActivityEvents: 'AAAA', key: 'AAAA' })).toBe(false);
    expect(debeziumDecoder.recognizes({ type: 'DatabaseActivityMonitoringRecord', clusterId: 'c', databaseActivityEventList: [] })).toBe(false);
    expect(debeziumDecoder.recognizes({ op: 'c', after: { id: 1 } })).toBe(false);
    expect(debeziumDecoder.recognizes({ status: 'active', id: 'x' })).toBe(false);
    expect(debeziumDecoder.recognizes(null)).toBe(false);
    expect(debeziumDecoder.recognizes([{ op: 'c', source }])).toBe(false);
    expect(debeziumDecoder.recognizes('2024-01-01 00:00:00 UTC LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>')).toBe(false);
  });
});

describe('Debezium skips', () => {
  const ctx = decodeContext();
  const reason = async (value: string | null, extra: { topic?: string } = {}) => {
    const d = await decodeRecord(debeziumDecoder, { position: 'p', value: value === null ? null : Buffer.from(value), ...extra }, ctx);
    if (d.kind !== 'events' || d.events.length > 0) throw new Error('expected a skip');
    return d.skipped;
  };
  const msg = (prefix: string, txId: string) =>
    `{"op":"m","source":{"connector":"postgresql","name":"s","db":"d","schema":"","table":"",${txId}"lsn":1,"ts_ms":1},"message":{"prefix":"${prefix}","content":"e30="}}`;
  it('names why a record was skipped', async () => {
    expect(await reason(null)).toBe('TOMBSTONE');
    expect(await reason('')).toBe('TOMBSTONE');
    expect(await reason('null')).toBe('TOMBSTONE');
    expect(await reason('{"schema":null,"payload":null}')).toBe('TOMBSTONE');
    expect(await reason('{"ts_ms":1}')).toBe('HEARTBEAT');
    expect(await reason('{"ts_ms":1,"x":2}', { topic: '__debezium-heartbeat.s' })).toBe('HEARTBEAT');
    expect(await reason(msg('auditql', ''))).toBe('NON_TRANSACTIONAL_MESSAGE');
    expect(await reason(msg('other', '"txId":5,'))).toBe('NOT_AUDIT');
  });
  it('uses the configured context prefix', async () => {
    const d = await decodeRecord(debeziumDecoder, { position: 'p', value: Buffer.from(msg('app-ctx', '"txId":5,')) }, decodeContext({ contextPrefix: 'app-ctx' }));
    expect(d.kind === 'events' && d.events.map(comparable)).toEqual([
      { kind: 'context', format: 'debezium', txId: '5', server: 's', prefix: 'app-ctx', transactional: true, content: {}, appUser: null, occurredAt: '1970-01-01T00:00:00.001Z' },
    ]);
  });
});

describe('Debezium errors', () => {
  const ctx = decodeContext();
  const dead = async (value: string) => {
    const d = await decodeRecord(debeziumDecoder, { position: 'p', value: Buffer.from(value) }, ctx);
    if (d.kind !== 'dead') throw new Error('expected a dead letter');
    return d;
  };
  it('never echoes record content in the message', async () => {
    const secret = 'hunter2-secret';
    const cases = [
      `{"op":"c","source":{"table":"t"},"after":{"pw":"${secret}"`, // cut short: not JSON
      `{"op":"c","source":{"table":"t"},"after":"${secret}"}`,
      `{"schema":{"type":"struct","fields":[{"field":"after","type":"struct","fields":[{"field":"pw","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}]}]},"payload":{"op":"c","source":{"table":"t"},"after":{"pw":"${secret}"}}}`,
      `{"op":"${secret}","source":{"table":"t"}}`,
      `{"before":{"pw":"${secret}"},"source":{"table":"t"}}`,
    ];
    for (const text of cases) {
      const d = await dead(text);
      expect(d.message).not.toContain(secret);
      expect(d.message).toMatch(/^Debezium /);
    }
  });
  it('uses stable codes: undecodable vs unsupported', async () => {
    expect((await dead('{"op":"x","source":{"table":"t"}}')).code).toBe('AUDITQL_UNSUPPORTED_RECORD');
    expect((await dead('{"op":"c","source":{"table":"t"}}')).code).toBe('AUDITQL_UNDECODABLE_RECORD');
    expect((await dead('{"op":"c","after":{"id":1}}')).message).toBe('Debezium record has no payload.source block');
    expect((await dead('{"before":null,"source":{"table":"t"}}')).message).toBe('Debezium record has no payload.op');
  });
});
