/**
 * The source side of the pgoutput record: protocol messages (as pg-logical-replication parses them) → records
 * with positions stable across redelivery and checkpoints only where a restart may resume.
 */
import { describe, expect, it } from 'vitest';
import type { Pgoutput } from 'pg-logical-replication';
import { microsToIso, ProtocolError, RecordBuilder } from '../../src/sources/postgres/record-builder.js';
import { canonicalLsn, formatLsn, parseLsn } from '../../src/sources/postgres/lsn.js';
import type { PgRelation } from '../../src/decoders/pgoutput/record.js';

const SOURCE = { systemId: '7300000000000000001', database: 'shop' };
const RELATION: PgRelation = {
  oid: 16400, schema: 'public', table: 'docs', replicaIdentity: 'default', primaryKey: ['id'],
  columns: [
    { name: 'id', typeOid: 23, typeMod: -1, typeName: 'integer', isKey: true },
    { name: 'body', typeOid: 25, typeMod: -1, typeName: 'text', isKey: false },
  ],
};
const rel = { tag: 'relation', relationOid: 16400, schema: 'public', name: 'docs' } as unknown as Pgoutput.MessageRelation;
const micros = BigInt(Date.UTC(2024, 4, 1, 10, 0, 0)) * 1000n + 123456n;

const begin = (xid: number, commitLsn = '00000000/016B3748'): Pgoutput.MessageBegin =>
  ({ tag: 'begin', commitLsn, commitTime: micros, xid });
const commit = (commitLsn = '00000000/016B3748', commitEndLsn = '00000000/016B3790'): Pgoutput.MessageCommit =>
  ({ tag: 'commit', flags: 0, commitLsn, commitEndLsn, commitTime: micros });
const message = (transactional: boolean, prefix: string, content: Buffer, messageLsn = '00000000/016B3700'): Pgoutput.MessageMessage =>
  ({ tag: 'message', flags: transactional ? 1 : 0, transactional, messageLsn, prefix, content: new Uint8Array(content) });
const json = (b: { record: { value: Buffer | null } }) => JSON.parse(b.record.value!.toString());

function newBuilder() {
  const b = new RecordBuilder(SOURCE, 'slot:s1');
  b.setRelation(RELATION);
  return b;
}

describe('pgoutput record builder', () => {
  it('positions records <commit LSN>:<n> and puts the checkpoint (commit end LSN) on the commit only', () => {
    const b = newBuilder();
    const out = [
      ...b.accept('0/16B3600', begin(-5)), // the library reads the xid as int32: 4294967291 arrives as -5
      ...b.accept('0/16B3600', { tag: 'insert', relation: rel, new: { id: '1', body: 'x' } }),
      ...b.accept('0/16B3700', message(true, 'auditql', Buffer.from('{"user":"alice"}'))),
      ...b.accept('0/16B3710', { tag: 'update', relation: rel, key: null, old: null, new: { id: '1', body: undefined } } as unknown as Pgoutput.MessageUpdate),
      ...b.accept('0/16B3790', commit()),
    ];
    expect(out.map((x) => x.record.position)).toEqual(['0/16B3748:0', '0/16B3748:1', '0/16B3748:2', '0/16B3748:3', '0/16B3748:4']);
    expect(out.map((x) => x.record.checkpoint ?? null)).toEqual([null, null, null, null, { stream: 'slot:s1', position: '0/16B3790' }]);
    expect(out[4]!.resumeLsn).toBe(parseLsn('0/16B3790'));
    const [b0, c1, m2, u3, e4] = out.map(json);
    expect(b0).toMatchObject({ v: 1, kind: 'begin', xid: '4294967291', commitLsn: '0/16B3748', commitTime: '2024-05-01T10:00:00.123456Z', seq: 0, source: SOURCE });
    expect(c1).toMatchObject({ kind: 'change', op: 'insert', oldKind: 'none', old: null, new: { id: '1', body: 'x' }, newUnchanged: [], relation: RELATION, seq: 1 });
    expect(m2).toMatchObject({ kind: 'message', transactional: true, xid: '4294967291', prefix: 'auditql', content: '{"user":"alice"}', seq: 2 });
    expect(u3).toMatchObject({ kind: 'change', op: 'update', oldKind: 'none', new: { id: '1' }, newUnchanged: ['body'] });
    expect(e4).toMatchObject({ kind: 'commit', endLsn: '0/16B3790', changes: 2, dataCollections: [{ dataCollection: 'public.docs', eventCount: 2 }], seq: 4 });
  });

  it('gives a redelivered transaction the same positions (relation messages are not counted)', () => {
    const run = (b: RecordBuilder) => [
      ...b.accept('0/1', begin(7)),
      ...b.accept('0/1', { tag: 'delete', relation: rel, key: { id: '1' }, old: null }),
      ...b.accept('0/2', commit()),
    ].map((x) => [x.record.position, x.record.value!.toString()]);
    expect(run(newBuilder())).toEqual(run(newBuilder()));
  });

  it('marks key-only and full old tuples; a key tuple drops the non-key placeholders', () => {
    const b = newBuilder();
    b.accept('0/1', begin(7));
    const key = json(b.accept('0/1', { tag: 'delete', relation: rel, key: { id: '1', body: undefined }, old: null })[0]!);
    expect(key).toMatchObject({ op: 'delete', oldKind: 'key', old: { id: '1' }, oldUnchanged: [], new: null });
    const full = json(b.accept('0/1', { tag: 'update', relation: rel, key: null, old: { id: '1', body: null }, new: { id: '1', body: 'y' } })[0]!);
    expect(full).toMatchObject({ op: 'update', oldKind: 'full', old: { id: '1', body: null }, new: { id: '1', body: 'y' } });
  });

  it('writes one truncate record per table', () => {
    const b = newBuilder();
    b.setRelation({ ...RELATION, oid: 16401, table: 'other' });
    b.accept('0/1', begin(7));
    const out = b.accept('0/1', { tag: 'truncate', cascade: true, restartIdentity: false, relations: [rel, { ...rel, relationOid: 16401 }] });
    expect(out.map(json).map((r) => [r.relation.table, r.op, r.truncate, r.seq])).toEqual([
      ['docs', 'truncate', { cascade: true, restartIdentity: false }, 1],
      ['other', 'truncate', { cascade: true, restartIdentity: false }, 2],
    ]);
  });

  it('positions a non-transactional message by its LSN and lets a restart resume just past it', () => {
    const [m] = newBuilder().accept('0/16B3700', message(false, 'heartbeat', Buffer.from([0xff, 0xfe])));
    expect(m!.record.position).toBe('0/16B3700:m');
    expect(m!.record.checkpoint).toEqual({ stream: 'slot:s1', position: '0/16B3701' });
    expect(json(m!)).toMatchObject({ transactional: false, xid: null, seq: null, contentBase64: '//4=' });
  });

  it('refuses changes outside a transaction and before their relation', () => {
    expect(() => newBuilder().accept('0/1', { tag: 'insert', relation: rel, new: { id: '1' } })).toThrow(ProtocolError);
    const b = new RecordBuilder(SOURCE, 'slot:s1');
    b.accept('0/1', begin(7));
    expect(() => b.accept('0/1', { tag: 'insert', relation: rel, new: { id: '1' } })).toThrow(/before its Relation message/);
  });
});

describe('LSNs and commit times', () => {
  it('parses and prints LSNs the way PostgreSQL does', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(canonicalLsn('00000000/016B3748')).toBe('0/16B3748');
    expect(formatLsn(parseLsn('FFFFFFFF/FFFFFFFF'))).toBe('FFFFFFFF/FFFFFFFF');
    expect(() => parseLsn('nope')).toThrow();
  });

  it('prints µs commit timestamps with all six digits', () => {
    expect(microsToIso(0n)).toBe('1970-01-01T00:00:00.000000Z');
    expect(microsToIso(micros)).toBe('2024-05-01T10:00:00.123456Z');
    expect(microsToIso(-1n)).toBe('1969-12-31T23:59:59.999999Z');
  });
});
