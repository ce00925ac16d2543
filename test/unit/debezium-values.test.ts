/**
 * Value conversions of the Debezium decoder, with expectations worked out by hand from docs/formats/debezium.md "Value encodings"
 * (base64 of two's-complement bytes, epoch arithmetic) — not taken from the decoder's output.
 */
import { describe, expect, it } from 'vitest';
import { decodeDecimal, decodeVariableScaleDecimal, formatDecimal, unscaledFromBase64 } from '../../src/decoders/debezium/decimal.js';
import {
  civilFromDays, formatDate, formatTimeOfDay, formatTimestamp, PG_DATE_NEGATIVE_INFINITY, PG_DATE_POSITIVE_INFINITY,
} from '../../src/decoders/debezium/temporal.js';
import { decodeImage, decodeValue } from '../../src/decoders/debezium/values.js';
import { isUnavailable } from '../../src/decoders/debezium/toast.js';
import { tableIdParts, ddlKeyword } from '../../src/decoders/debezium/schema-change.js';
import { instantOf } from '../../src/decoders/debezium/event-time.js';
import { DecodeError } from '../../src/errors.js';

const decimalSchema = (scale: string) => ({ type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale, 'connect.decimal.precision': '10' } });

describe('Debezium decimals', () => {
  it.each([
    ['AOHJ', '00 E1 C9', 57801n],
    ['OSw=', '39 2C', 14636n],
    ['+w==', 'FB', -5n],
    ['/x43', 'FF 1E 37 = 2^24 - 57801', -57801n],
    ['gA==', '80', -128n],
    ['AIA=', '00 80', 128n],
    ['', 'no bytes', 0n],
    ['not base64!', 'not base64', null],
  ])("reads big-endian two's-complement bytes: %j (%s) is %s", (base64, _bytes, unscaled) => {
    expect(unscaledFromBase64(base64)).toBe(unscaled);
  });

  it.each([
    [57801n, 2, '578.01'],
    [-5n, 2, '-0.05'],
    [0n, 2, '0.00'],
    [57800n, 2, '578.00'],
    [57801n, 0, '57801'],
    [-1n, 0, '-1'],
    [12n, -3, '12000'],
    [7n, 5, '0.00007'],
  ])('formats with exactly `scale` fraction digits: %s at scale %s is %s', (unscaled, scale, text) => {
    expect(formatDecimal(unscaled, scale)).toBe(text);
  });

  it('decodes Decimal with the schema scale, negative values and scale 0', () => {
    expect(decodeDecimal('AOHJ', '2', 'price')).toBe('578.01');
    expect(decodeDecimal('/x43', '2', 'price')).toBe('-578.01');
    expect(decodeDecimal('AOHJ', '0', 'qty')).toBe('57801');
    expect(decodeDecimal('+w==', 2, 'x')).toBe('-0.05');
    expect(decodeValue(decimalSchema('2'), 'AOHJ', 'price')).toBe('578.01');
  });

  it('keeps every digit of a value no double can hold', () => {
    // 123456789012345678901234567890123456789 (39 digits) at scale 10
    expect(decodeDecimal('XODppWAV/sWq36MorjmBFQ==', '10', 'big')).toBe('12345678901234567890123456789.0123456789');
    expect(decodeDecimal('ox8WWp/qATpVIFzXUcZ+6w==', '10', 'big')).toBe('-12345678901234567890123456789.0123456789');
  });

  it('accepts JsonConverter decimal.format=NUMERIC numbers, padded to the scale', () => {
    expect(decodeDecimal(578.1, '2', 'price')).toBe('578.10');
    expect(decodeDecimal(-3, '2', 'price')).toBe('-3.00');
    expect(decodeDecimal('12345678901234567890.5', '2', 'price')).toBe('12345678901234567890.50');
  });

  it('decodes VariableScaleDecimal structs', () => {
    expect(decodeVariableScaleDecimal({ scale: 2, value: 'OSw=' }, 'n')).toBe('146.36');
    expect(decodeVariableScaleDecimal({ scale: 0, value: '/x43' }, 'n')).toBe('-57801');
    expect(decodeVariableScaleDecimal({ scale: '3', value: 'AOHJ' }, 'n')).toBe('57.801');
  });

  it('rejects what is not a decimal, naming the column but not the value', () => {
    expect(() => decodeDecimal('sécret', '2', 'price')).toThrow(DecodeError);
    expect(() => decodeDecimal('sécret', '2', 'price')).toThrow(/"price"/);
    expect(() => decodeDecimal('sécret', '2', 'price')).not.toThrow(/sécret/);
    expect(() => decodeVariableScaleDecimal({ scale: 2 }, 'n')).toThrow(DecodeError);
  });
});

describe('Debezium temporal values', () => {
  it.each([
    [0n, '1970-01-01'],
    [-1n, '1969-12-31'],
    [17702n, '2018-06-20'],
    [11016n, '2000-02-29'],
    [2932896n, '9999-12-31'],
    [2932897n, '+010000-01-01'],
    [-719162n, '0001-01-01'],
    [-719528n, '0000-01-01'],
    [-719529n, '-000001-12-31'],
  ])('converts epoch days to proleptic Gregorian dates: day %s is %s', (days, date) => {
    expect(formatDate(days)).toBe(date);
  });

  it('maps the PostgreSQL date infinity sentinels', () => {
    expect(civilFromDays(PG_DATE_POSITIVE_INFINITY)).toEqual({ year: -5877611n, month: 6, day: 21 });
    expect(civilFromDays(PG_DATE_NEGATIVE_INFINITY)).toEqual({ year: -5877611n, month: 6, day: 22 });
    expect(formatDate(PG_DATE_POSITIVE_INFINITY)).toBe('infinity');
    expect(formatDate(PG_DATE_NEGATIVE_INFINITY)).toBe('-infinity');
  });

  it.each([
    [1529507596945104n, 'us', '2018-06-20T15:13:16.945104'],
    [1529507596945n, 'ms', '2018-06-20T15:13:16.945'],
    [1529507596945104123n, 'ns', '2018-06-20T15:13:16.945104123'],
    [1529507596900000n, 'us', '2018-06-20T15:13:16.9'],
    [1529507596000n, 'ms', '2018-06-20T15:13:16'],
    [0n, 'ms', '1970-01-01T00:00:00'],
    [-1n, 'us', '1969-12-31T23:59:59.999999'],
    // The PostgreSQL timestamp infinity sentinels, in any unit
    [9223372036825200000n, 'us', 'infinity'],
    [-9223372036832400000n, 'us', '-infinity'],
    [9223372036825200000n, 'ms', 'infinity'],
  ] as const)('formats a timestamp without zone (ms, µs, ns; trailing zeros trimmed): %s %s is %s', (value, unit, text) => {
    expect(formatTimestamp(value, unit)).toBe(text);
  });

  it.each([
    [54796945n, 'ms', '15:13:16.945'],
    [54796945104n, 'us', '15:13:16.945104'],
    [54796000000000n, 'ns', '15:13:16'],
    [0n, 'us', '00:00:00'],
    [86400000000n, 'us', '24:00:00'],
    [-3020399000000n, 'us', '-838:59:59'], // a MySQL duration
  ] as const)('formats times of day, 24:00:00 and MySQL durations: %s %s is %s', (value, unit, text) => {
    expect(formatTimeOfDay(value, unit)).toBe(text);
  });

  it('decodes by logical type name, and leaves non-integers alone', () => {
    expect(decodeValue({ type: 'int32', name: 'io.debezium.time.Date' }, 17702, 'd')).toBe('2018-06-20');
    expect(decodeValue({ type: 'int32', name: 'org.apache.kafka.connect.data.Date' }, 17702, 'd')).toBe('2018-06-20');
    expect(decodeValue({ type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp' }, 1529507596945, 't')).toBe('2018-06-20T15:13:16.945');
    expect(decodeValue({ type: 'int32', name: 'org.apache.kafka.connect.data.Time' }, 54796945, 't')).toBe('15:13:16.945');
    expect(decodeValue({ type: 'int64', name: 'io.debezium.time.NanoTime' }, '54796000000001', 't')).toBe('15:13:16.000000001');
    expect(decodeValue({ type: 'int64', name: 'io.debezium.time.MicroTimestamp' }, '9223372036825200000', 't')).toBe('infinity');
    expect(decodeValue({ type: 'string', name: 'io.debezium.time.ZonedTimestamp' }, '2018-06-20T13:37:03Z', 't')).toBe('2018-06-20T13:37:03Z');
    expect(decodeValue({ type: 'string', name: 'io.debezium.time.ZonedTimestamp' }, 'infinity', 't')).toBe('infinity');
    expect(decodeValue({ type: 'int64', name: 'io.debezium.time.MicroTimestamp' }, '2018-06-20 15:13:16', 't')).toBe('2018-06-20 15:13:16');
    expect(decodeValue(null, 17702, 'd')).toBe(17702); // schemaless: as sent
  });

  it('decodes arrays, maps and keeps Json text and bytes as sent', () => {
    const dates = { type: 'array', items: { type: 'int32', name: 'io.debezium.time.Date' } };
    expect(decodeValue(dates, [0, null, 17702], 'ds')).toEqual(['1970-01-01', null, '2018-06-20']);
    const prices = { type: 'map', keys: { type: 'string' }, values: decimalSchema('2') };
    expect(decodeValue(prices, { a: 'AOHJ' }, 'm')).toEqual({ a: '578.01' });
    expect(decodeValue({ type: 'string', name: 'io.debezium.data.Json' }, '{"a": 1}', 'j')).toBe('{"a": 1}');
    expect(decodeValue({ type: 'bytes' }, 'AQID', 'b')).toBe('AQID');
  });
});

describe('Debezium TOAST placeholders', () => {
  it('recognizes the default placeholder in its string, bytes and array forms', () => {
    expect(isUnavailable('__debezium_unavailable_value', { type: 'string' })).toBe(true);
    expect(isUnavailable('X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', { type: 'bytes' })).toBe(true);
    expect(isUnavailable(['__debezium_unavailable_value'], null)).toBe(true);
    const bytes = [...Buffer.from('__debezium_unavailable_value')];
    expect(isUnavailable(bytes, { type: 'array', items: { type: 'int32' } })).toBe(true);
    expect(isUnavailable('a real value', { type: 'string' })).toBe(false);
    expect(isUnavailable(null, { type: 'string' })).toBe(false);
  });

  it('recognizes a custom placeholder declared by the schema parameter', () => {
    const p = { '__debezium.unavailable.value.placeholder': '[\"~toast~\"]' };
    expect(isUnavailable(['~toast~'], { type: 'array', items: { type: 'string' }, parameters: p })).toBe(true);
    expect(isUnavailable('~toast~', { type: 'string', parameters: { '__debezium.unavailable.value.placeholder': '~toast~' } })).toBe(true);
    expect(isUnavailable('~toast~', { type: 'string' })).toBe(false);
  });

  it('removes placeholders from an image and lists them', () => {
    expect(decodeImage(null, { id: 1, doc: '__debezium_unavailable_value', tags: ['__debezium_unavailable_value'] }, 'after')).toEqual({
      row: { id: 1 },
      unknown: ['doc', 'tags'],
    });
  });
});

describe('Debezium metadata helpers', () => {
  it('reads table ids, renames and DDL keywords', () => {
    expect(tableIdParts('"inventory"."customers"')).toEqual(['inventory', 'customers']);
    expect(tableIdParts('"test"."table1","test"."table2"')).toEqual(['test', 'table2']);
    expect(tableIdParts('"db"."we""ird"')).toEqual(['db', 'we"ird']);
    expect(ddlKeyword('/* app */ alter table t add c int')).toBe('ALTER');
    expect(ddlKeyword('  -- x\nDROP TABLE t')).toBe('DROP');
    expect(ddlKeyword(null)).toBe('DDL');
  });

  it('reads ts_us, ts_ms, ts_ns and legacy ts_sec, 0 meaning unknown', () => {
    expect(instantOf({ ts_us: 1529507596945104 })?.toISOString()).toBe('2018-06-20T15:13:16.945Z');
    expect(instantOf({ ts_ms: '1529507596945' })?.toISOString()).toBe('2018-06-20T15:13:16.945Z');
    expect(instantOf({ ts_ns: '1529507596945104123' })?.toISOString()).toBe('2018-06-20T15:13:16.945Z');
    expect(instantOf({ ts_sec: 1529507596 })?.toISOString()).toBe('2018-06-20T15:13:16.000Z');
    expect(instantOf({ ts_ms: 0 })).toBeNull();
    expect(instantOf({ ts_us: 0, ts_ms: 1000 })?.toISOString()).toBe('1970-01-01T00:00:01.000Z');
  });
});
