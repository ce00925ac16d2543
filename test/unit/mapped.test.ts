/**
 * `--format mapped` (docs/formats/mapped.md): the two documented examples as golden fixtures, then one rule
 * each — validation naming the bad key, filters counted under their reason, dead letters carrying the
 * expression's error, derived fields (time units, user-name normalisation, class by rule).
 */
import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/decoders/mapped/compile-mapping.js';
import { mappedDecoder } from '../../src/decoders/mapped/decoder.js';
import { parsePointer, resolvePointer } from '../../src/decoders/mapped/json-pointer.js';
import { decodeContext } from '../../src/decoders/context.js';
import { decodeRecord, type DecodedRecord } from '../../src/ingest/decode-record.js';
import { AuditqlError, ErrorCode } from '../../src/errors.js';
import type { ActivityEvent, ChangeEvent } from '../../src/model/events.js';
import { decodeFixture, expectDecodedAsExpected, fixtureCases } from '../helpers/fixtures.js';

const cases = fixtureCases('mapped');

describe('mapped fixtures (the worked examples of docs/formats/mapped.md)', () => {
  it('has both examples', () => expect(cases.map((c) => c.name)).toEqual(['app-audit', 'endpoint-procstart']));
  for (const c of cases) {
    it(c.name, async () => expectDecodedAsExpected(await decodeFixture(c, mappedDecoder), c.expected));
  }
});

const activityType = (fields: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  events: [{ type: 't', match: { pointer: '/type', equals: 't' }, kind: 'activity', fields, ...more }],
});

async function decode(mapping: unknown, event: unknown): Promise<DecodedRecord> {
  const ctx = decodeContext({ mapping: compileMapping(mapping) });
  const value = Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
  return decodeRecord(mappedDecoder, { position: 'test:1', value }, ctx);
}

async function activityOf(fields: Record<string, unknown>, event: Record<string, unknown>): Promise<ActivityEvent> {
  const d = await decode(activityType(fields), { type: 't', ...event });
  if (d.kind !== 'events' || d.events.length !== 1) throw new Error(`expected one event, got ${JSON.stringify(d)}`);
  return d.events[0] as ActivityEvent;
}

function compileError(mapping: unknown): string {
  try {
    compileMapping(mapping);
  } catch (err) {
    expect(err).toBeInstanceOf(AuditqlError);
    expect((err as AuditqlError).code).toBe(ErrorCode.BAD_CONFIG);
    return (err as Error).message;
  }
  throw new Error('expected the mapping to be refused');
}

describe('validation at start names the bad key', () => {
  it('a JSONata syntax error, with where it is', () => {
    expect(compileError(activityType({ command: 'path +' }))).toMatch(/^mapping: events\[0\]\.fields\.command: JSONata syntax error S0207 at character 6/);
    expect(compileError(activityType({ dbUser: { expr: '$lowercase(' } }))).toMatch(/^mapping: events\[0\]\.fields\.dbUser\.expr: JSONata syntax error/);
    expect(compileError({ events: [{ type: 't', match: 'a = ', kind: 'activity', fields: {} }] })).toMatch(/^mapping: events\[0\]\.match: JSONata syntax error/);
    expect(compileError(activityType({ class: { cases: [{ when: '((', value: { const: 'READ' } }] } }))).toMatch(/events\[0\]\.fields\.class\.cases\[0\]\.when: JSONata/);
  });

  it('a field the kind does not have, a missing required field, a constant of the wrong type', () => {
    expect(compileError(activityType({ username: 'u' }))).toMatch(/^mapping: events\[0\]\.fields\.username: not a field of kind activity/);
    expect(compileError({ events: [{ type: 'c', match: 'true', kind: 'change', fields: { table: "'t'" } }] })).toBe(
      'mapping: events[0].fields.operation: required for kind change',
    );
    expect(compileError(activityType({ class: { const: 'PROCESS' } }))).toMatch(/^mapping: events\[0\]\.fields\.class\.const: evaluated to a string, expected one of READ, WRITE/);
  });

  it('unknown keys, bad pointers, units and steps, duplicate types, bad reasons', () => {
    expect(compileError({ events: [], version: 2 })).toMatch(/^mapping: version: unknown key/);
    expect(compileError({ events: [] })).toMatch(/^mapping: events: required/);
    expect(compileError(activityType({ pid: { pointer: 'pid' } }))).toMatch(/fields\.pid\.pointer: a JSON pointer starts with "\/"/);
    expect(compileError(activityType({ occurredAt: { pointer: '/ts', time: 'epoch' } }))).toMatch(/fields\.occurredAt\.time: expected one of iso, epoch-seconds, epoch-millis/);
    expect(compileError(activityType({ dbUser: { pointer: '/u', normalize: ['downcase'] } }))).toMatch(/fields\.dbUser\.normalize: expected an array of/);
    expect(compileError(activityType({ pid: { pointer: '/p', expr: 'p' } }))).toMatch(/fields\.pid: give exactly one of expr, pointer, const or cases \(found expr, pointer\)/);
    const t = { type: 't', match: 'true', kind: 'activity', fields: {} };
    expect(compileError({ events: [t, t] })).toMatch(/^mapping: events\[1\]\.type: "t" is already/);
    expect(compileError({ events: [t], drop: [{ when: 'true', reason: 'has spaces' }] })).toMatch(/^mapping: drop\[0\]\.reason: required/);
    expect(compileError({ events: [{ ...t, kind: 'session' }] })).toMatch(/^mapping: events\[0\]\.kind: expected "activity" or "change"/);
    expect(compileError({ events: [{ ...t, match: { pointer: '/type' } }] })).toMatch(/^mapping: events\[0\]\.match\.equals: required/);
  });
});

describe('records the mapping cannot evaluate are dead letters with the expression error', () => {
  it('a JSONata runtime error names the key and the JSONata code, never the value', async () => {
    const d = await decode(activityType({ rowCount: 'n + 1' }), { type: 't', n: 'secret-value' });
    expect(d).toEqual({
      kind: 'dead',
      code: ErrorCode.UNDECODABLE_RECORD,
      message: expect.stringMatching(/^mapping events\[0\]\.fields\.rowCount: JSONata T2001 at character \d+: The left side of the "\+" operator must evaluate to a number$/),
    });
    const e = await decode(activityType({ command: '$uppercase(n)' }), { type: 't', n: { secret: 'secret-value' } });
    expect(e.kind).toBe('dead');
    expect(JSON.stringify(e)).not.toContain('secret-value');
  });

  it('a value of the wrong type, a bad timestamp, a change without its table, not an object, not JSON', async () => {
    expect(await decode(activityType({ rowCount: 'n' }), { type: 't', n: 1.5 })).toMatchObject({ kind: 'dead', message: 'mapping events[0].fields.rowCount: evaluated to a number, expected an integer' });
    expect(await decode(activityType({ occurredAt: 'ts' }), { type: 't', ts: 1705051800 })).toMatchObject({
      kind: 'dead', message: 'mapping events[0].fields.occurredAt: a number: declare "time": "epoch-seconds" or "epoch-millis"',
    });
    expect(await decode(activityType({ occurredAt: 'ts' }), { type: 't', ts: 'tomorrow' })).toMatchObject({ kind: 'dead', message: 'mapping events[0].fields.occurredAt: not an ISO 8601 timestamp' });
    const change = { events: [{ type: 'c', match: 'true', kind: 'change', fields: { operation: { const: 'INSERT' }, table: 'tbl', after: 'row' } }] };
    expect(await decode(change, { row: { id: 1 } })).toMatchObject({ kind: 'dead', message: 'mapping events[0].fields.table: evaluated to nothing (a change needs its table)' });
    expect(await decode(change, [1, 2])).toMatchObject({ kind: 'dead', code: ErrorCode.UNDECODABLE_RECORD, message: 'a mapped event is a JSON object' });
    expect(await decode(change, '{"row": ')).toMatchObject({ kind: 'dead', code: ErrorCode.UNDECODABLE_RECORD });
  });

  it('an event no type matches: a dead letter by default, a skip with `unmatched: skip`', async () => {
    expect(await decode(activityType({}), { type: 'other' })).toMatchObject({ kind: 'dead', code: ErrorCode.UNSUPPORTED_RECORD });
    expect(await decode({ ...activityType({}), unmatched: 'skip' }, { type: 'other' })).toEqual({ kind: 'events', events: [], skipped: 'UNMATCHED' });
  });

  it('without a compiled mapping in the context, every record is a BAD_CONFIG dead letter', async () => {
    const d = await decodeRecord(mappedDecoder, { position: 'p', value: Buffer.from('{}') }, decodeContext());
    expect(d).toMatchObject({ kind: 'dead', code: ErrorCode.BAD_CONFIG });
  });
});

describe('filters and derived fields', () => {
  it('the first filter that holds names the skip; global filters before type filters', async () => {
    const mapping = {
      drop: [{ when: "level = 'debug'", reason: 'debug' }],
      ...activityType({}, { drop: [{ when: { pointer: '/source', equals: 'cron' }, reason: 'cron' }, { when: 'true', reason: 'never-reached' }] }),
    };
    expect(await decode(mapping, { type: 't', level: 'debug', source: 'cron' })).toEqual({ kind: 'events', events: [], skipped: 'FILTERED:debug' });
    expect(await decode(mapping, { type: 't', source: 'cron' })).toEqual({ kind: 'events', events: [], skipped: 'FILTERED:cron' });
    expect(await decode(mapping, { type: 't', source: 'web' })).toEqual({ kind: 'events', events: [], skipped: 'FILTERED:never-reached' });
  });

  it('timestamps: epoch seconds (fractions kept to the millisecond), epoch millis, ISO, numeric strings', async () => {
    const e = await activityOf(
      { startedAt: { pointer: '/s', time: 'epoch-seconds' }, occurredAt: { pointer: '/ms', time: 'epoch-millis' } },
      { s: '1705051800.1234', ms: 1705051800999 },
    );
    expect(e.startedAt!.toISOString()).toBe('2024-01-12T09:30:00.123Z');
    expect(e.occurredAt!.toISOString()).toBe('2024-01-12T09:30:00.999Z');
    const iso = await activityOf({ occurredAt: 'at' }, { at: '2024-01-12T10:30:00+01:00' });
    expect(iso.occurredAt!.toISOString()).toBe('2024-01-12T09:30:00.000Z');
  });

  it('user names normalised step by step', async () => {
    const e = await activityOf(
      { dbUser: { pointer: '/u', normalize: ['trim', 'strip-domain', 'strip-realm', 'lowercase'] }, remoteHost: { pointer: '/h', normalize: ['uppercase'] } },
      { u: '  CORP\\Alice.Smith@CORP.EXAMPLE ', h: 'ws-1' },
    );
    expect([e.dbUser, e.remoteHost]).toEqual(['alice.smith', 'WS-1']);
  });

  it('class by rule: the first case that holds, else the default, else OTHER; unknown classes dead-letter', async () => {
    const fields = { class: { cases: [{ when: "op = 'select'", value: { const: 'READ' } }, { when: 'true', value: 'klass' }] } };
    expect((await activityOf(fields, { op: 'select' })).class).toBe('READ');
    expect((await activityOf(fields, { op: 'x', klass: 'DDL' })).class).toBe('DDL');
    expect((await activityOf({}, {})).class).toBe('OTHER');
    expect(await decode(activityType(fields), { type: 't', op: 'x', klass: 'read' })).toMatchObject({ kind: 'dead', message: expect.stringMatching(/fields\.class: evaluated to a string, expected one of READ/) });
  });

  it('a change without a declared key takes --key, then `id`, then the row image; changedFields derived', async () => {
    const mapping = { events: [{ type: 'c', match: 'true', kind: 'change', fields: { operation: { const: 'UPDATE' }, table: "'lines'", before: 'b', after: 'a' } }] };
    const ctx = decodeContext({ mapping: compileMapping(mapping), keyColumns: new Map([['lines', ['order_id', 'line_no']]]) });
    const value = Buffer.from(JSON.stringify({ b: { order_id: 5, line_no: 2, id: 9, qty: 1 }, a: { order_id: 5, line_no: 2, id: 9, qty: 3 } }));
    const d = await decodeRecord(mappedDecoder, { position: 'p', value }, ctx);
    const c = (d as { events: ChangeEvent[] }).events[0]!;
    expect([c.key, c.keySource, c.changedFields, c.beforeComplete, c.committedAtSource]).toEqual([{ order_id: 5, line_no: 2 }, 'CONFIGURED', ['qty'], true, 'UNKNOWN']);
  });
});

describe('JSON pointers (RFC 6901)', () => {
  it('escapes, arrays, the whole document, and refusals', () => {
    const doc = { 'a/b': { '~k': [10, 20] } };
    expect(resolvePointer(doc, parsePointer('/a~1b/~0k/1') as string[])).toBe(20);
    expect(resolvePointer(doc, parsePointer('') as string[])).toBe(doc);
    expect(resolvePointer(doc, parsePointer('/a~1b/~0k/01') as string[])).toBeUndefined();
    expect(resolvePointer(doc, parsePointer('/missing/x') as string[])).toBeUndefined();
    expect(parsePointer('/a~2')).toMatch(/must be followed by 0 or 1/);
  });
});
