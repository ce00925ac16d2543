/**
 * parseJsonLossless (src/model/lossless-json.ts) against lossless-json itself: the native fast paths must
 * give exactly what lossless-json's parser gives — unsafe numbers as decimal strings, everything else as is —
 * including when long digit runs sit inside strings, where the fast path must not touch them.
 */
import { describe, expect, it } from 'vitest';
import { isSafeNumber, parse } from 'lossless-json';
import { parseJsonLossless } from '../../src/model/lossless-json.js';

const reference = (text: string): unknown =>
  parse(text, null, (n: string) => (isSafeNumber(n, { approx: false }) ? Number(n) : n));

describe('parseJsonLossless', () => {
  it.each([
    ['a BIGINT beyond 2^53', '{"id":12345678901234567890}', { id: '12345678901234567890' }],
    ['Debezium ts_ns and ts_us', '{"source":{"ts_us":1700000000040123,"ts_ns":1700000000040123456},"ts_ms":1700000000040}',
      { source: { ts_us: 1700000000040123, ts_ns: '1700000000040123456' }, ts_ms: 1700000000040 }],
    ['a DECIMAL(30,10)', '[1.1234567890123456789, 2]', ['1.1234567890123456789', 2]],
    ['a negative one after spaces', '{"d": \n -98765432109876543210.5}', { d: '-98765432109876543210.5' }],
    ['a long round number (lossless-json calls it unsafe too)', '{"n":1700000000000000000}', { n: '1700000000000000000' }],
    ['digits inside strings, left alone', '{"card":"4111111111111111","note":"id: 12345678901234567890, [98765432109876543210"}',
      { card: '4111111111111111', note: 'id: 12345678901234567890, [98765432109876543210' }],
    ['a string that looks like a value beside an unsafe number', '{"a":"x:12345678901234567890","b":12345678901234567890}',
      { a: 'x:12345678901234567890', b: '12345678901234567890' }],
    ['an escaped quote before digits', '{"a":"q\\": 12345678901234567890"}', { a: 'q": 12345678901234567890' }],
    ['an escaped backslash closing a string before an unsafe number', '{"a":"q\\\\","b":12345678901234567890}', { a: 'q\\', b: '12345678901234567890' }],
    ['16 digits: 2^53 - 1 is safe, 2^53 is not', '[9007199254740991,-9007199254740991,9007199254740992]', [9007199254740991, -9007199254740991, '9007199254740992']],
    ['exponents, exact and not', '[1e5,1.5E+3,1e400,1.2345678901234567890e2]', [1e5, 1500, '1e400', '1.2345678901234567890e2']],
    ['an unsafe number alone', '12345678901234567890', '12345678901234567890'],
    ['unsafe numbers in nested arrays and objects', '{"a":[[1,12345678901234567890],{"b":[2,98765432109876543210.5]}]}',
      { a: [[1, '12345678901234567890'], { b: [2, '98765432109876543210.5'] }] }],
  ])('%s', (_name, text, expected) => {
    expect(parseJsonLossless(text)).toEqual(expected);
    expect(parseJsonLossless(text)).toEqual(reference(text));
  });

  it.each([
    ['a long number as an object key', '{"a":1,12345678901234567890:2}'],
    ['a long number with a leading zero', '{"a":012345678901234567890}'],
    ['two long numbers without a separator', '[12345678901234567890 12345678901234567890]'],
    ['an unterminated string after an unsafe number', '[12345678901234567890,"abc'],
  ])('rejects invalid JSON holding a long number: %s', (_name, text) => {
    expect(() => parseJsonLossless(text)).toThrow(SyntaxError);
    expect(() => reference(text)).toThrow();
  });

  it('agrees with lossless-json on 2,000 generated documents mixing numbers and digit strings', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const digits = (n: number) => Array.from({ length: n }, (_, i) => String(i === 0 ? 1 + Math.floor(rnd() * 9) : Math.floor(rnd() * 10))).join('');
    const number = () => {
      const r = rnd();
      if (r < 0.3) return digits(1 + Math.floor(rnd() * 22));
      if (r < 0.6) return `${rnd() < 0.5 ? '-' : ''}${digits(1 + Math.floor(rnd() * 12))}.${digits(1 + Math.floor(rnd() * 12))}`;
      if (r < 0.7) return `${digits(1 + Math.floor(rnd() * 3))}e${rnd() < 0.5 ? '-' : '+'}${Math.floor(rnd() * 30)}`;
      return String(Math.floor(rnd() * 1e6));
    };
    const value = (): string => {
      const r = rnd();
      if (r < 0.45) return number();
      if (r < 0.75) return JSON.stringify(`${['', 'id: ', 'x,', '[', 'a: ['][Math.floor(rnd() * 5)]}${number()}`);
      if (r < 0.85) return `[${value()}, ${value()}]`;
      return 'null';
    };
    for (let i = 0; i < 2000; i++) {
      const text = `{${Array.from({ length: 1 + Math.floor(rnd() * 6) }, (_, k) => `"k${k}":${rnd() < 0.2 ? ' ' : ''}${value()}`).join(',')}}`;
      expect([text, parseJsonLossless(text)]).toEqual([text, reference(text)]);
    }
  });
});
