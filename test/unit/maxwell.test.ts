import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DecodeContext, DecodeResult } from '../../src/decoders/decoder.js';
import type { RawRecord } from '../../src/contracts/records.js';
import { decodeContext } from '../../src/decoders/context.js';
import { maxwellDecoder } from '../../src/decoders/maxwell/decoder.js';
import { decodeRecord } from '../../src/ingest/decode-record.js';
import { DecodeError, ErrorCode } from '../../src/errors.js';
import type { ChangeEvent, SchemaChangeEvent } from '../../src/model/events.js';
import { contextOf, decodeFixture, fixtureCases, recordsOf, expectDecodedAsExpected } from '../helpers/fixtures.js';

const cases = fixtureCases('maxwell');

describe('maxwell fixtures', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThan(0));
  for (const c of cases) {
    it(c.name, async () => {
      const got = await decodeFixture(c, maxwellDecoder);
      expectDecodedAsExpected(got, c.expected);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Focused tests: one rule each, on records built here.

const raw = (value: unknown, key?: unknown): RawRecord => ({
  position: 'test:0',
  value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  ...(key === undefined ? {} : { key: Buffer.from(typeof key === 'string' ? key : JSON.stringify(key)) }),
});

function decodeSync(value: unknown, opts: { key?: unknown; ctx?: Partial<DecodeContext> } = {}): DecodeResult {
  return maxwellDecoder.decode(raw(value, opts.key), decodeContext(opts.ctx)) as DecodeResult;
}
const changeOf = (value: unknown, opts: { key?: unknown; ctx?: Partial<DecodeContext> } = {}) =>
  decodeSync(value, opts).events[0] as ChangeEvent;

function errorOf(value: unknown, opts: { key?: unknown; ctx?: Partial<DecodeContext> } = {}): DecodeError {
  try {
    decodeSync(value, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return err as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

const row = (extra: Record<string, unknown> = {}) => ({
  database: 'shop',
  table: 'order_lines',
  type: 'insert',
  ts: 1700000000,
  data: { id: 9, order_id: 5001, line_no: 2, qty: 1 },
  ...extra,
});

describe('maxwell keys', () => {
  it('hash key: composite, pk. prefix stripped → RECORD_KEY, never the id column', () => {
    const c = changeOf(row(), { key: { database: 'shop', table: 'order_lines', 'pk.order_id': 5001, 'pk.line_no': 2 } });
    expect(c.keySource).toBe('RECORD_KEY');
    expect(c.key).toEqual({ order_id: 5001, line_no: 2 });
  });

  it('hash key with _uuid (no primary key) falls through to the next evidence', () => {
    const c = changeOf(row({ primary_key_columns: ['order_id', 'line_no'] }), {
      key: { database: 'shop', table: 'order_lines', _uuid: 'f0a1' },
    });
    expect(c.keySource).toBe('SOURCE_PK');
    expect(c.key).toEqual({ order_id: 5001, line_no: 2 });
  });

  it('hash key names are lower-cased by Maxwell; the case comes back from primary_key_columns or the row', () => {
    const data = { OrderID: 7, LineNo: 1, qty: 1 };
    const key = { database: 'shop', table: 'order_lines', 'pk.orderid': 7, 'pk.lineno': 1 };
    expect(changeOf(row({ data }), { key }).key).toEqual({ OrderID: 7, LineNo: 1 });
    expect(changeOf(row({ data, primary_key_columns: ['OrderID', 'LineNo'] }), { key }).key).toEqual({ OrderID: 7, LineNo: 1 });
    // ambiguous (two columns lower-case to the same name): left as Maxwell wrote it
    const twins = { ID: 1, Id: 1 };
    expect(changeOf(row({ data: twins }), { key: { database: 'shop', table: 'order_lines', 'pk.id': 1 } }).key).toEqual({ id: 1 });
  });

  it('array key → RECORD_KEY; an empty column list falls through', () => {
    const c = changeOf(row(), { key: ['shop', 'order_lines', [{ order_id: 5001 }, { line_no: 2 }]] });
    expect([c.keySource, c.key]).toEqual(['RECORD_KEY', { order_id: 5001, line_no: 2 }]);
    expect(changeOf(row(), { key: ['shop', 'order_lines', []] }).keySource).toBe('ID_COLUMN');
  });

  it('ignores a key for another table, a non-JSON key (DDL keys are bare UUIDs) and an all-null key', () => {
    expect(changeOf(row(), { key: { database: 'shop', table: 'orders', 'pk.order_id': 1 } }).keySource).toBe('ID_COLUMN');
    expect(changeOf(row(), { key: ['other_db', 'order_lines', [{ order_id: 1 }]] }).keySource).toBe('ID_COLUMN');
    expect(changeOf(row(), { key: '6f1c2b9e-1d1f-4d7e-9a0a-2f4f1b0c9d8e' }).keySource).toBe('ID_COLUMN');
    expect(changeOf(row(), { key: { database: 'shop', table: 'order_lines', 'pk.gone': null } }).keySource).toBe('ID_COLUMN');
  });

  it('a hash key without a database matches a record without one', () => {
    const value = { table: 't', type: 'insert', data: { k: 1 } };
    expect(changeOf(value, { key: { database: null, table: 't', 'pk.k': 1 } }).keySource).toBe('RECORD_KEY');
  });

  it('primary_key values are zipped with primary_key_columns, even when the column is not in data', () => {
    const c = changeOf(row({ primary_key: [5001, 2, 'x'], primary_key_columns: ['order_id', 'line_no', 'region'] }));
    expect([c.keySource, c.key]).toEqual(['SOURCE_PK', { order_id: 5001, line_no: 2, region: 'x' }]);
  });

  it('primary_key_columns alone take the values from the row; a column missing from the row falls through', () => {
    expect(changeOf(row({ primary_key_columns: ['order_id', 'line_no'] })).key).toEqual({ order_id: 5001, line_no: 2 });
    expect(changeOf(row({ primary_key_columns: ['region'] })).keySource).toBe('ID_COLUMN');
  });

  it('--key db.table (CONFIGURED) beats a column called id; with nothing, the row image', () => {
    const ctx = { keyColumns: new Map([['shop.order_lines', ['order_id', 'line_no']]]) };
    expect(changeOf(row(), { ctx }).keySource).toBe('CONFIGURED');
    const c = changeOf(row({ data: { a: 1, b: 'x' } }));
    expect([c.keySource, c.key]).toEqual(['ROW_IMAGE', { a: 1, b: 'x' }]);
  });

  it('a delete takes its key from data (the row before the delete)', () => {
    const c = changeOf(row({ type: 'delete', primary_key_columns: ['order_id', 'line_no'] }));
    expect([c.operation, c.key, c.after]).toEqual(['DELETE', { order_id: 5001, line_no: 2 }, null]);
  });
});

describe('maxwell before image and changed fields', () => {
  const update = (data: Record<string, unknown>, old: Record<string, unknown>) =>
    changeOf({ database: 'shop', table: 'p', type: 'update', ts: 1700000000, data, old });

  it('before = data merged with old; changedFields = old columns whose value differs', () => {
    const c = update({ id: 1, a: 2, b: 'same', c: [1, 2] }, { a: 1, b: 'same', c: [1] });
    expect(c.before).toEqual({ id: 1, a: 1, b: 'same', c: [1] });
    expect(c.after).toEqual({ id: 1, a: 2, b: 'same', c: [1, 2] });
    expect(c.beforeComplete).toBe(true);
    expect(c.changedFields).toEqual(['a', 'c']);
  });

  it('an old column missing from data (output_nulls=false: now NULL) is in before and changed', () => {
    const c = update({ id: 1 }, { note: 'was set' });
    expect(c.before).toEqual({ id: 1, note: 'was set' });
    expect(c.after).toEqual({ id: 1 });
    expect(c.changedFields).toEqual(['note']);
  });

  it('an update without old changed nothing; old on an insert is ignored', () => {
    expect(changeOf({ database: 'd', table: 't', type: 'update', data: { id: 1 } }).changedFields).toEqual([]);
    const ins = changeOf({ database: 'd', table: 't', type: 'insert', data: { id: 1 }, old: { id: 0 } });
    expect([ins.before, ins.changedFields]).toEqual([null, ['id']]);
  });

  it('DECIMAL digits beyond a double decide whether a value changed', () => {
    const c = changeOf(
      '{"database":"d","table":"t","type":"update","data":{"id":1,"v":0.12345678901234567891},"old":{"v":0.12345678901234567890}}',
    );
    expect(c.after).toEqual({ id: 1, v: '0.12345678901234567891' });
    expect(c.changedFields).toEqual(['v']);
  });

  it('returns frozen events', () => {
    expect(Object.isFrozen(changeOf(row()))).toBe(true);
  });
});

describe('maxwell timestamps and transaction fields', () => {
  it('row ts is epoch seconds; DDL ts is epoch milliseconds', () => {
    expect(changeOf(row({ ts: 1700000000 })).committedAt?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    const ddl = decodeSync({ type: 'table-drop', database: 'd', table: 't', ts: 1700000000123, sql: 'DROP TABLE t' })
      .events[0] as SchemaChangeEvent;
    expect(ddl.occurredAt?.toISOString()).toBe('2023-11-14T22:13:20.123Z');
  });

  it('missing, zero or non-numeric ts → committedAt null, UNKNOWN', () => {
    for (const ts of [undefined, 0, 'soon', null]) {
      const c = changeOf(row({ ts }));
      expect([c.committedAt, c.committedAtSource]).toEqual([null, 'UNKNOWN']);
    }
  });

  it('xid → txId text, xoffset → txOrder, commit and the rest → extra; server_id/thread_id → origin', () => {
    const c = changeOf(row({ xid: 42, xoffset: 3, server_id: 7, thread_id: 99, gtid: null, custom_attr: 'kept' }));
    expect([c.txId, c.txOrder]).toEqual(['42', 3]);
    expect(c.origin).toEqual({ server: '7', connection: '99', user: null });
    expect(c.extra).toEqual({ server_id: 7, thread_id: 99, gtid: null, custom_attr: 'kept' });
  });

  it('reads output_naming_strategy=underscore_to_camelcase field names', () => {
    const c = changeOf(row({ serverId: 7, threadId: 99, primaryKeyColumns: ['order_id', 'line_no'], pushTs: 1.5 }));
    expect(c.origin).toEqual({ server: '7', connection: '99', user: null });
    expect([c.keySource, c.key]).toEqual(['SOURCE_PK', { order_id: 5001, line_no: 2 }]);
    expect(c.extra).toEqual({ server_id: 7, thread_id: 99, push_ts: 1.5 });
  });
});

describe('maxwell skips', () => {
  it('bootstrap markers, Maxwell tables, heartbeat type and tombstones are skipped with a reason', () => {
    expect(decodeSync(row({ type: 'bootstrap-start', data: {} })).skipped).toBe('MARKER');
    expect(decodeSync(row({ type: 'bootstrap-complete', data: {} })).skipped).toBe('MARKER');
    expect(decodeSync(row({ database: 'maxwell', table: 'bootstrap' })).skipped).toBe('MARKER');
    expect(decodeSync(row({ database: 'maxwell', table: 'heartbeats' })).skipped).toBe('HEARTBEAT');
    expect(decodeSync({ type: 'heartbeat', database: 'maxwell', table: 'heartbeats', data: {} }).skipped).toBe('HEARTBEAT');
    expect(decodeSync(null).skipped).toBe('TOMBSTONE');
    expect(decodeSync('null').skipped).toBe('TOMBSTONE');
  });

  it('bootstrap-insert is a SNAPSHOT change', () => {
    expect(changeOf(row({ type: 'bootstrap-insert' })).operation).toBe('SNAPSHOT');
  });
});

describe('maxwell encryption', () => {
  const KEY = 'auditql-test-key';
  const seal = (plaintext: string, key = KEY) => {
    const iv = Buffer.alloc(16, 7);
    const c = createCipheriv(`aes-${Buffer.byteLength(key) * 8}-cbc`, Buffer.from(key), iv);
    return { iv: iv.toString('base64'), bytes: Buffer.concat([c.update(plaintext), c.final()]).toString('base64') };
  };
  const secretRow = JSON.stringify(row({ data: { id: 1, ssn: 'SECRET-123-45' } }));

  it('encrypt=all and encrypt=data decrypt with the key string as AES key bytes (16, 24 or 32)', () => {
    for (const key of ['sixteen-byte-key', 'twenty-four-byte-key-xyz', 'thirty-two-byte-key-for-aes-256!']) {
      expect(changeOf({ encrypted: seal(secretRow, key) }, { ctx: { maxwellKey: key } }).after).toEqual({ id: 1, ssn: 'SECRET-123-45' });
    }
    const c = changeOf(
      { ...row({ type: 'update' }), data: undefined, encrypted: seal('{"data":{"id":1,"v":2},"old":{"v":1}}') },
      { ctx: { maxwellKey: KEY } },
    );
    expect([c.before, c.after, c.changedFields, c.extra]).toEqual([{ id: 1, v: 1 }, { id: 1, v: 2 }, ['v'], { encrypted: 'data' }]);
  });

  it('no key → DECRYPTION_KEY_MISSING; wrong key, bad key length, bad IV, garbage → DECRYPTION_FAILED; no secrets in messages', () => {
    const sealed = { encrypted: seal(secretRow) };
    const cases: [unknown, Partial<DecodeContext>, string][] = [
      [sealed, {}, ErrorCode.DECRYPTION_KEY_MISSING],
      [sealed, { maxwellKey: 'wrong-key-16byte' }, ErrorCode.DECRYPTION_FAILED],
      [sealed, { maxwellKey: 'short' }, ErrorCode.DECRYPTION_FAILED],
      [{ encrypted: { ...seal(secretRow), iv: 'AAAA' } }, { maxwellKey: KEY }, ErrorCode.DECRYPTION_FAILED],
      [{ encrypted: { iv: seal('x').iv, bytes: 'AAAA' } }, { maxwellKey: KEY }, ErrorCode.DECRYPTION_FAILED],
      [{ encrypted: seal('not json SECRET-123-45') }, { maxwellKey: KEY }, ErrorCode.DECRYPTION_FAILED],
      [{ ...row(), data: undefined, encrypted: seal('{"nodata":"SECRET-123-45"}') }, { maxwellKey: KEY }, ErrorCode.DECRYPTION_FAILED],
    ];
    for (const [value, ctx, code] of cases) {
      const err = errorOf(value, { ctx });
      expect(err.code).toBe(code);
      expect(err.message).not.toMatch(/SECRET|wrong-key|auditql-test-key|short/);
    }
    expect(errorOf(sealed, { ctx: { maxwellKey: 'short' } }).message).toMatch(/5 bytes.*16, 24 or 32/);
  });

  it('an encrypted block of the wrong shape is undecodable', () => {
    expect(errorOf({ ...row(), encrypted: { iv: 1 } }, { ctx: { maxwellKey: KEY } }).code).toBe(ErrorCode.UNDECODABLE_RECORD);
  });
});

describe('maxwell undecodable records', () => {
  it('dead-letters the garbage fixture with messages that hold no row values', async () => {
    const c = cases.find((x) => x.name === 'garbage')!;
    const ctx = contextOf(c.expected);
    const messages: string[] = [];
    for (const r of await recordsOf(c.input, maxwellDecoder, ctx)) {
      const d = await decodeRecord(maxwellDecoder, r, ctx);
      if (d.kind === 'dead') messages.push(d.message);
    }
    expect(messages).toHaveLength(8);
    for (const m of messages) expect(m).not.toMatch(/secret|c2VjcmV0|1700000000|customer/i);
  });

  it('names the unknown type only when it is a plain word', () => {
    expect(errorOf(row({ type: 'table-rename' })).message).toContain('"table-rename"');
    expect(errorOf(row({ type: 'alice@example.com' })).message).not.toContain('alice');
  });

  it('rejects a non-string database or table and a DDL field of the wrong type', () => {
    expect(errorOf(row({ database: 5 })).code).toBe(ErrorCode.UNDECODABLE_RECORD);
    expect(errorOf(row({ table: '' })).code).toBe(ErrorCode.UNDECODABLE_RECORD);
    expect(errorOf({ type: 'table-create', database: 'd', table: 't', sql: 42 }).code).toBe(ErrorCode.UNDECODABLE_RECORD);
  });
});

describe('maxwell recognizes', () => {
  const yes = [
    row(),
    row({ type: 'bootstrap-start', data: {} }),
    { database: 'shard_1', table: 'minimal', type: 'insert', ts: 1, encrypted: { iv: 'a', bytes: 'b' } },
    { encrypted: { bytes: 'b', iv: 'a' } },
    { type: 'table-create', database: 'test', table: 'e', def: {}, ts: 1, sql: 'create table e (id int)' },
    { type: 'database-create', database: 'd', charset: 'utf8mb4', ts: 1, sql: 'CREATE DATABASE d' },
    { table: 'test_sets', type: 'insert', data: { setcol: ['b_val'] } },
  ];
  const no = [
    null,
    [row()],
    'insert',
    // Debezium: flat envelope, schema/payload envelope, transaction metadata, MySQL schema change
    { before: null, after: { id: 1 }, source: { connector: 'mysql', table: 't' }, op: 'c', ts_ms: 1 },
    { schema: { type: 'struct' }, payload: { before: null, after: { id: 1 }, source: {}, op: 'c' } },
    { status: 'BEGIN', id: '571:53195829', ts_ms: 1, event_count: null, data_collections: null },
    { source: {}, databaseName: 'inventory', ddl: 'CREATE TABLE t (id int)', tableChanges: [] },
    // a Maxwell-like value with a Debezium `op`
    { ...row(), op: 'c' },
    // DAS: Kinesis record, decrypted inner record, a bare event, a heartbeat event
    { type: 'DatabaseActivityMonitoringRecords', version: '1.1', databaseActivityEvents: 'AAAA', key: 'BBBB' },
    { type: 'DatabaseActivityMonitoringRecord', clusterId: 'cluster-1', instanceId: 'db-1', databaseActivityEventList: [] },
    { type: 'record', class: 'READ', command: 'SELECT', databaseName: 'postgres', dbUserName: 'bob' },
    { type: 'heartbeat', class: null, databaseName: null },
    // pgAudit jsonlog
    { timestamp: '2024-01-01 00:00:00.000 UTC', user: 'bob', dbname: 'db', message: 'AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>' },
    // Maxwell types without a body
    { type: 'insert', table: 't' },
    { type: 'table-create', database: 'd' },
    { encrypted: { iv: 'a' } },
  ];
  it.each(yes.map((v, i) => [i, v]))('claims Maxwell value %i', (_i, v) => expect(maxwellDecoder.recognizes(v)).toBe(true));
  it.each(no.map((v, i) => [i, v]))('does not claim non-Maxwell value %i', (_i, v) => expect(maxwellDecoder.recognizes(v)).toBe(false));
});
