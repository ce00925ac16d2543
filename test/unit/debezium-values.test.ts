/**
 * Value conversions of the Debezium decoder, with expectations worked out by hand from FORMATS.md §1.8
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
  it('reads big-endian two\'s-complement bytes', () => {
    expect(unscaledFromBase64('AOHJ')).toBe(57801n); // 00 E1 C9
    expect(unscaledFromBase64('OSw=')).toBe(14636n); // 39 2C
    expect(unscaledFromBase64('+w==')).toBe(-5n); // FB
    expect(unscaledFromBase64('/x43')).toBe(-57801n); // FF 1E 37 = 2^24 - 57801
    expect(unscaledFromBase64('gA==')).toBe(-128n); // 80
    expect(unscaledFromBase64('AIA=')).toBe(128n); // 00 80
    expect(unscaledFromBase64('')).toBe(0n);
    expect(unscaledFromBase64('not base64!')).toBeNull();
  });

  it('formats with exactly `scale` fraction digits', () => {
    expect(formatDecimal(57801n, 2)).toBe('578.01');
    expect(formatDecimal(-5n, 2)).toBe('-0.05');
    expect(formatDecimal(0n, 2)).toBe('0.00');
    expect(formatDecimal(57800n, 2)).toBe('578.00');
    expect(formatDecimal(57801n, 0)).toBe('57801');
    expect(formatDecimal(-1n, 0)).toBe('-1');
    expect(formatDecimal(12n, -3)).toBe('12000');
    expect(formatDecimal(7n, 5)).toBe('0.00007');
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
  it('converts epoch days to proleptic Gregorian dates', () => {
    expect(formatDate(0n)).toBe('1970-01-01');
    expect(formatDate(-1n)).toBe('1969-12-31');
    expect(formatDate(17702n)).toBe('2018-06-20');
    expect(formatDate(11016n)).toBe('2000-02-29');
    expect(formatDate(2932896n)).toBe('9999-12-31');
    expect(formatDate(2932897n)).toBe('+010000-01-01');
    expect(formatDate(-719162n)).toBe('0001-01-01');
    expect(formatDate(-719528n)).toBe('0000-01-01');
    expect(formatDate(-719529n)).toBe('-000001-12-31');
  });

  it('maps the PostgreSQL date infinity sentinels', () => {
    expect(civilFromDays(PG_DATE_POSITIVE_INFINITY)).toEqual({ year: -5877611n, month: 6, day: 21 });
    expect(civilFromDays(PG_DATE_NEGATIVE_INFINITY)).toEqual({ year: -5877611n, month: 6, day: 22 });
    expect(formatDate(PG_DATE_POSITIVE_INFINITY)).toBe('infinity');
    expect(formatDate(PG_DATE_NEGATIVE_INFINITY)).toBe('-infinity');
  });

  it('formats timestamps without zone in ms, µs and ns, trimming trailing zeros', () => {
    expect(formatTimestamp(1529507596945104n, 'us')).toBe('2018-06-20T15:13:16.945104');
    expect(formatTimestamp(1529507596945n, 'ms')).toBe('2018-06-20T15:13:16.945');
    expect(formatTimestamp(1529507596945104123n, 'ns')).toBe('2018-06-20T15:13:16.945104123');
    expect(formatTimestamp(1529507596900000n, 'us')).toBe('2018-06-20T15:13:16.9');
    expect(formatTimestamp(1529507596000n, 'ms')).toBe('2018-06-20T15:13:16');
    expect(formatTimestamp(0n, 'ms')).toBe('1970-01-01T00:00:00');
    expect(formatTimestamp(-1n, 'us')).toBe('1969-12-31T23:59:59.999999');
  });

  it('maps the PostgreSQL timestamp infinity sentinels in any unit', () => {
    expect(formatTimestamp(9223372036825200000n, 'us')).toBe('infinity');
    expect(formatTimestamp(-9223372036832400000n, 'us')).toBe('-infinity');
    expect(formatTimestamp(9223372036825200000n, 'ms')).toBe('infinity');
  });

  it('formats times of day, 24:00:00 and MySQL durations', () => {
    expect(formatTimeOfDay(54796945n, 'ms')).toBe('15:13:16.945');
    expect(formatTimeOfDay(54796945104n, 'us')).toBe('15:13:16.945104');
    expect(formatTimeOfDay(54796000000000n, 'ns')).toBe('15:13:16');
    expect(formatTimeOfDay(0n, 'us')).toBe('00:00:00');
    expect(formatTimeOfDay(86400000000n, 'us')).toBe('24:00:00');
    expect(formatTimeOfDay(-3020399000000n, 'us')).toBe('-838:59:59');
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
