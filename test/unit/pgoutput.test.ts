import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pgoutputDecoder } from '../../src/decoders/pgoutput/decoder.js';
import { decodeContext } from '../../src/decoders/context.js';
import { decodeRecord } from '../../src/ingest/decode-record.js';
import { decodeFixture, fixtureCases, FIXTURES, expectDecodedAsExpected } from '../helpers/fixtures.js';

const cases = fixtureCases('pgoutput');

describe('pgoutput fixtures', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThan(0));
  for (const c of cases) {
    it(c.name, async () => {
      const got = await decodeFixture(c, pgoutputDecoder);
      expectDecodedAsExpected(got, c.expected);
    });
  }
});

/** The n-th record (0-based) of a fixture file, as the source would deliver it. */
function recordOf(name: string, n: number, position = `0/1:${n}`) {
  const line = readFileSync(`${FIXTURES}pgoutput/${name}.jsonl`, 'utf8').split('\n')[n]!;
  return { position, value: Buffer.from(line) };
}

describe('pgoutput decoder', () => {
  it('recognizes its records and nothing else', () => {
    const rec = JSON.parse(recordOf('replica-identity-full', 1).value.toString());
    expect(pgoutputDecoder.recognizes(rec)).toBe(true);
    expect(pgoutputDecoder.recognizes({ ...rec, v: 2 })).toBe(false);
    expect(pgoutputDecoder.recognizes({ op: 'c', before: null, after: {}, source: {} })).toBe(false);
  });

  it('keeps the record position on its single event', async () => {
    const d = await decodeRecord(pgoutputDecoder, recordOf('replica-identity-full', 2, '0/1918518:2'), decodeContext());
    expect(d.kind === 'events' && d.events.map((e) => e.position)).toEqual(['0/1918518:2']);
  });

  it('keys a table without a primary key by --key when given', async () => {
    const ctx = decodeContext({ keyColumns: new Map([['public.events_log', ['at', 'kind']]]) });
    const d = await decodeRecord(pgoutputDecoder, recordOf('replica-identity-full-no-primary-key', 3), ctx);
    expect(d.kind === 'events' && d.events[0]).toMatchObject({ key: { at: '2024-05-01T00:00:00Z', kind: 'signed-up' }, keySource: 'CONFIGURED' });
  });

  it('reads context under a configured prefix only', async () => {
    const ctx = decodeContext({ contextPrefix: 'other-app' });
    const mine = await decodeRecord(pgoutputDecoder, recordOf('context-messages', 3), ctx);
    expect(mine.kind === 'events' && mine.events[0]).toMatchObject({ kind: 'context', appUser: 'mallory', prefix: 'other-app' });
    const theirs = await decodeRecord(pgoutputDecoder, recordOf('context-messages', 1), ctx);
    expect(theirs).toEqual({ kind: 'events', events: [], skipped: 'NOT_AUDIT' });
  });

  it('dead-letters a malformed record with a message naming the field, never a value', async () => {
    const value = Buffer.from(JSON.stringify({ v: 1, kind: 'change', source: { systemId: '1', database: 'd' }, xid: 'secret-value' }));
    const d = await decodeRecord(pgoutputDecoder, { position: 'p', value }, decodeContext());
    expect(d).toMatchObject({ kind: 'dead', code: 'AUDITQL_UNDECODABLE_RECORD' });
    expect(d.kind === 'dead' && d.message).toMatch(/xid/);
    expect(d.kind === 'dead' && d.message).not.toMatch(/secret-value/);
  });
});
