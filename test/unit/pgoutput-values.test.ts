import { describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/decoders/pgoutput/values.js';
import { parseArrayLiteral } from '../../src/decoders/pgoutput/array-literal.js';
import { decodeDate, decodeTimestamp, decodeTimestamptz } from '../../src/decoders/pgoutput/temporal.js';

const OID = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, text: 25, json: 114, float8: 701, numeric: 1700, jsonb: 3802,
  timestamptz: 1184, timestamp: 1114, date: 1082, int4Array: 1007, textArray: 1009, numericArray: 1231, jsonbArray: 3807, boolArray: 1000 };

describe('pgoutput value text → JSON', () => {
  it.each([
    [OID.bool, 't', true],
    [OID.bool, 'f', false],
    [OID.int2, '-32768', -32768],
    [OID.int4, '2147483647', 2147483647],
    [OID.int8, '9007199254740991', 9007199254740991],
    [OID.int8, '9007199254740992', '9007199254740992'],
    [OID.int8, '-9223372036854775808', '-9223372036854775808'],
    [OID.numeric, '1.50', '1.50'],
    [OID.numeric, '12345678901234567890.0123456789', '12345678901234567890.0123456789'],
    [OID.numeric, 'NaN', 'NaN'],
    [OID.float8, '0.1', 0.1],
    [OID.float8, '-Infinity', '-Infinity'],
    [OID.jsonb, '{"a": [1, 2.5, null], "b": 123456789012345678901}', { a: [1, 2.5, null], b: '123456789012345678901' }],
    [OID.json, 'not json', 'not json'],
    [OID.jsonb, 'null', null],
    [OID.bytea, '\\x', ''],
    [OID.bytea, '\\xdeadBEEF', Buffer.from('deadbeef', 'hex').toString('base64')],
    [OID.bytea, 'a\\\\b\\000\\377', Buffer.from([0x61, 0x5c, 0x62, 0, 0xff]).toString('base64')],
    [OID.text, 't', 't'],
    [99999, '(1,2)', '(1,2)'],
  ])('type %i %j', (oid, text, expected) => {
    expect(decodeValue(oid, text)).toEqual(expected);
  });

  it('keeps SQL NULL as null for every type', () => {
    for (const oid of Object.values(OID)) expect(decodeValue(oid, null)).toBeNull();
  });

  it('decodes arrays element by element', () => {
    expect(decodeValue(OID.int4Array, '{1,2,NULL}')).toEqual([1, 2, null]);
    expect(decodeValue(OID.int4Array, '[0:1]={7,8}')).toEqual([7, 8]);
    expect(decodeValue(OID.int4Array, '{{1,2},{3,4}}')).toEqual([[1, 2], [3, 4]]);
    expect(decodeValue(OID.textArray, '{}')).toEqual([]);
    expect(decodeValue(OID.textArray, '{"NULL",NULL,"a,b","x\\\\y","\\"q\\""}')).toEqual(['NULL', null, 'a,b', 'x\\y', '"q"']);
    expect(decodeValue(OID.numericArray, '{1.10,NaN}')).toEqual(['1.10', 'NaN']);
    expect(decodeValue(OID.boolArray, '{t,f}')).toEqual([true, false]);
    expect(decodeValue(OID.jsonbArray, '{"{\\"a\\": 1}",null}')).toEqual([{ a: 1 }, null]);
    expect(decodeValue(OID.int4Array, '{1,2')).toBe('{1,2');
  });

  it('parses array literals strictly: anything else is kept as text', () => {
    expect(parseArrayLiteral('{a,b}')).toEqual(['a', 'b']);
    expect(parseArrayLiteral('{a,b}x')).toBeNull();
    expect(parseArrayLiteral('{"unterminated}')).toBeNull();
    expect(parseArrayLiteral('[1:2]{1,2}')).toBeNull();
  });
});

describe('pgoutput timestamps (DateStyle=ISO)', () => {
  it.each([
    ['2024-05-01 10:00:00+00', '2024-05-01T10:00:00Z'],
    ['2024-05-01 12:00:00.123456+02', '2024-05-01T10:00:00.123456Z'],
    ['2024-05-01 10:00:00.500000+00', '2024-05-01T10:00:00.5Z'],
    ['2024-01-01 01:30:00+05:30', '2023-12-31T20:00:00Z'],
    ['1900-01-01 00:00:00+00:53:28', '1899-12-31T23:06:32Z'],
    ['2024-02-28 22:00:00-03', '2024-02-29T01:00:00Z'],
    ['0044-03-15 12:00:00+00 BC', '-000043-03-15T12:00:00Z'],
    ['0001-01-01 00:00:00+00 BC', '0000-01-01T00:00:00Z'],
    ['12024-05-01 10:00:00+00', '+012024-05-01T10:00:00Z'],
    ['infinity', 'infinity'],
    ['-infinity', '-infinity'],
    ['05/01/2024 10:00:00 UTC', '05/01/2024 10:00:00 UTC'],
  ])('timestamptz %s', (text, iso) => expect(decodeTimestamptz(text)).toBe(iso));

  it.each([
    ['2024-05-01 10:00:00', '2024-05-01T10:00:00'],
    ['2024-05-01 10:00:00.000001', '2024-05-01T10:00:00.000001'],
    ['0100-01-01 00:00:00 BC', '-000099-01-01T00:00:00'],
    ['2024-05-01 10:00:00+00', '2024-05-01 10:00:00+00'],
  ])('timestamp %s', (text, iso) => expect(decodeTimestamp(text)).toBe(iso));

  it.each([
    ['2024-02-29', '2024-02-29'],
    ['0001-01-01 BC', '0000-01-01'],
    ['10000-01-01', '+010000-01-01'],
    ['infinity', 'infinity'],
  ])('date %s', (text, iso) => expect(decodeDate(text)).toBe(iso));
});
