import { describe, expect, it } from 'vitest';
import { activity, change, transaction, type ChangeEvent } from '../../src/model/events.js';
import { unstorable } from '../../src/ingest/validate-event.js';
import { itemToRecord } from '../../src/sources/file/envelope.js';

const base: ChangeEvent = change({
  format: 'debezium', position: 'p1', operation: 'INSERT', database: 'shop', schema: 'public', table: 'orders',
  key: { id: 1 }, keySource: 'RECORD_KEY', before: null, after: { id: 1, note: 'ok', nested: { a: [1, 'x'] } },
  beforeComplete: true, unknownBefore: [], unknownAfter: [], changedFields: ['id', 'note'], txId: '7', txOrder: 1,
  committedAt: new Date('2024-01-01T00:00:00Z'), committedAtSource: 'SOURCE', origin: { server: 's', connection: null, user: null },
  extra: {},
});
const withFields = (f: Partial<ChangeEvent>) => change({ ...base, ...f });
const deep = (n: number): unknown => { let v: unknown = 0; for (let i = 0; i < n; i++) v = [v]; return v; };

describe('unstorable: what PostgreSQL cannot store is found before SQL', () => {
  it('accepts a plain event', () => {
    expect(unstorable(base)).toBeNull();
  });
  it.each([
    ['NUL in a text column', { table: 'ord\u0000ers' }, /changes\.table_name would hold a NUL/],
    ['a lone surrogate in a text column', { txId: 'a\ud800' }, /changes\.tx_id would hold an unpaired UTF-16 surrogate/],
    ['NUL in a jsonb string', { after: { note: 'a\u0000b' } }, /changes\.after would hold a NUL/],
    ['NUL in a jsonb key', { after: { 'n\u0000': 1 } }, /changes\.after would hold a key with a NUL/],
    ['a lone surrogate deep in jsonb', { after: { a: { b: ['\udc00'] } } }, /changes\.after would hold an unpaired/],
    ['NaN in jsonb', { after: { n: Number.NaN } }, /not finite/],
    ['Infinity in jsonb (what JSON.parse makes of 1e400)', { extra: { n: JSON.parse('1e400') } }, /changes\.extra would hold a number that is not finite/],
    ['10,000-deep nesting', { after: { d: deep(10_000) } as never }, /nested more than 1000 levels/],
    ['a fraction in a bigint column', { txOrder: 1.5 }, /changes\.tx_order would hold a fraction/],
    ['Infinity in a bigint column', { txOrder: Infinity }, /tx_order would hold a number that is not finite/],
    ['an integer beyond int8', { txOrder: 2 ** 64 }, /outside the bigint range/],
    ['an invalid date', { committedAt: new Date(Number.NaN) }, /changes\.committed_at would hold an invalid date/],
    ['a year past 9999', { committedAt: new Date(Date.UTC(20000, 0, 1)) }, /outside the years 1–9999/],
    ['a year before 1', { committedAt: new Date(Date.UTC(-5, 0, 1)) }, /outside the years 1–9999/],
    ['NUL in the position', { position: 'kafka:a\u0000/0/1' }, /position holds a NUL/],
  ] as const)('rejects %s', (_name, fields, message) => {
    expect(unstorable(withFields(fields as Partial<ChangeEvent>))).toMatch(message);
  });
  it('accepts the edges: 999 levels, int8 extremes as numbers below 2^63, years 1 and 9999, big decimals as strings', () => {
    expect(unstorable(withFields({ after: { d: deep(998) } as never, txOrder: 2 ** 62, extra: { big: '1e400' } }))).toBeNull();
    expect(unstorable(withFields({ committedAt: new Date(Date.UTC(1, 0, 1)) }))).toBeNull();
    expect(unstorable(withFields({ committedAt: new Date(Date.UTC(9999, 11, 31)) }))).toBeNull();
  });
  it('checks every kind by its own columns', () => {
    const a = activity({
      format: 'das', position: 'p', class: 'WRITE', rawClass: 'WRITE', command: 'DELETE', commandText: 'delete\u0000', objectType: null,
      objectName: null, database: null, dbUser: null, remoteHost: null, remotePort: null, clientApplication: null, sessionId: null,
      pid: null, statementId: null, substatementId: null, rowCount: 1, exitCode: null, errorMessage: null, txId: null,
      startedAt: null, occurredAt: null, server: null, parameters: null, extra: {},
    });
    expect(unstorable(a)).toMatch(/activity\.command_text would hold a NUL/);
    const t = transaction({ format: 'debezium', position: 'p', status: 'END', txId: '1', server: null, occurredAt: null, eventCount: 0.5, dataCollections: null });
    expect(unstorable(t)).toMatch(/transaction_events\.event_count would hold a fraction/);
  });
});

describe('Kafka envelopes in files whose metadata cannot be stored', () => {
  const env = (o: Record<string, unknown>) => itemToRecord(Buffer.from(JSON.stringify({ topic: 't', partition: 0, offset: 5, payload: { a: 1 }, ...o })));
  it('keeps a good envelope', () => {
    expect(env({})).toMatchObject({ position: 'kafka:t/0/5', topic: 't', partition: 0, offset: '5' });
    expect(env({}).framingError).toBeUndefined();
  });
  it.each([
    ['a topic holding NUL', { topic: 'orders\u0000x' }, /topic is empty or holds a control character/],
    ['an empty topic', { topic: '' }, /topic is empty/],
    ['a fractional partition', { partition: 1.5 }, /partition is not an integer/],
    ['a partition of 1e400', { partition: '1e400' }, /partition is not an integer/],
    ['an offset that is not a number', { offset: 'x' }, /offset is not a non-negative integer/],
    ['a header holding NUL', { headers: ['k', 'v\u0000'] }, /header holds a NUL/],
  ] as const)('dead-letters %s whole, under its content position', (_name, fields, message) => {
    const r = env(fields);
    expect(r.framingError).toMatch(message);
    expect(r.position).toMatch(/^sha256:/);
    expect(r.topic).toBeUndefined();
    expect(JSON.parse(String(r.value))).toMatchObject({ payload: { a: 1 } });
  });
});
