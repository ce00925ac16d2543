import { describe, expect, it } from 'vitest';
import { FramingError, JsonItemScanner, type FramedItem } from '../../src/sources/file/json-scanner.js';
import { LineSplitter } from '../../src/sources/file/line-splitter.js';

interface Out { text: string; error?: string }

function frame(input: string | Buffer, chunk = 3, maxBytes?: number): { items: Out[]; scanner: JsonItemScanner } {
  const s = new JsonItemScanner(maxBytes === undefined ? {} : { maxBytes });
  const items: FramedItem[] = [];
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  for (let i = 0; i < buf.length; i += chunk) items.push(...s.push(buf.subarray(i, i + chunk)));
  items.push(...s.end());
  return { items: items.map((x) => (x.error === undefined ? { text: String(x.bytes) } : { text: String(x.bytes), error: x.error })), scanner: s };
}
const scan = (input: string, chunk = 3) => frame(input, chunk).items;
const good = (text: string): Out => ({ text });
const bad = (text: string, error: string): Out => ({ text, error });

describe('JsonItemScanner', () => {
  it('splits JSON lines, keeping exact bytes', () => {
    expect(scan('{"a":1}\n{"b":"x}y"}\n')).toEqual([good('{"a":1}'), good('{"b":"x}y"}')]);
  });
  it('unwraps a top-level array', () => {
    expect(scan('[ {"a":[1,2]}, {"b":"\\"]"} ]')).toEqual([good('{"a":[1,2]}'), good('{"b":"\\"]"}')]);
  });
  it('reads one pretty-printed document and concatenated documents', () => {
    expect(scan('{\n  "a": {"b": 1}\n}\n{\n "c": 2\n}')).toEqual([good('{\n  "a": {"b": 1}\n}'), good('{\n "c": 2\n}')]);
  });
  it('keeps numbers with every digit and multi-byte text', () => {
    expect(scan('[{"p":12345678901234567890.123456789,"n":"café ✓"}]', 1)).toEqual([
      good('{"p":12345678901234567890.123456789,"n":"café ✓"}'),
    ]);
  });
  it('yields scalar items (null tombstones in arrays)', () => {
    expect(scan('[null, 1, "x"]')).toEqual([good('null'), good('1'), good('"x"')]);
  });
  it('skips a UTF-8 byte order mark', () => {
    expect(scan('\ufeff{"a":1}\n{"b":2}\n', 1)).toEqual([good('{"a":1}'), good('{"b":2}')]);
  });

  describe('what cannot be framed is cut at the next record boundary, with its bytes', () => {
    it('a truncated line between good ones (JSON lines)', () => {
      for (const chunk of [1, 3, 1000]) {
        expect(scan('{"a":1}\n{"b":{"c":\n{"d":4}\n', chunk)).toEqual([
          good('{"a":1}'), bad('{"b":{"c":', FramingError.LINE_ENDS_INSIDE), good('{"d":4}'),
        ]);
      }
    });
    it('a truncated first line (the mode is learnt from the first item framed)', () => {
      expect(scan('{"b":"tru\n{"a":1}\n{"b":{\n{"d":4}\n')).toEqual([
        bad('{"b":"tru', FramingError.STRING_PAST_LINE), good('{"a":1}'),
        bad('{"b":{', FramingError.LINE_ENDS_INSIDE), good('{"d":4}'),
      ]);
    });
    it('a bit flip inside a string that unbalances the quotes', () => {
      // `"` (0x22) flipped to `#` (0x23): the string swallows the rest of its line
      expect(scan('{"a":"x"}\n{"a":"x#,"b":{"c":"d"}}\n{"a":"y"}\n')).toEqual([
        good('{"a":"x"}'), bad('{"a":"x#,"b":{"c":"d"}}', FramingError.LINE_ENDS_INSIDE), good('{"a":"y"}'),
      ]);
    });
    it('a bit flip that turns a brace into another byte', () => {
      expect(scan('{"a":{"b":1}}\n{"a":{"b":1{}\n{"a":2}\n')).toEqual([
        good('{"a":{"b":1}}'), bad('{"a":{"b":1{}', FramingError.LINE_ENDS_INSIDE), good('{"a":2}'),
      ]);
    });
    it('a stray closing bracket', () => {
      expect(scan('{"a":1}\n{"a":1}}\n{"a":2}\n')).toEqual([
        good('{"a":1}'), good('{"a":1}'), bad('}', FramingError.STRAY_CLOSE), good('{"a":2}'),
      ]);
    });
    it('a missing closing brace in concatenated pretty-printed documents', () => {
      const file = '{\n  "a": {\n    "b": 1\n  }\n}\n{\n  "a": {\n    "b": 2\n  }\n{\n  "a": 3\n}\n';
      expect(scan(file)).toEqual([
        good('{\n  "a": {\n    "b": 1\n  }\n}'),
        bad('{\n  "a": {\n    "b": 2\n  }', FramingError.NEXT_VALUE_STARTS),
        good('{\n  "a": 3\n}'),
      ]);
    });
    it('a string cut short in a pretty-printed document', () => {
      const file = '{\n  "a": "ok"\n}\n{\n  "a": "trunc\n  "b": 1\n}\n{\n  "a": "next"\n}\n';
      expect(scan(file)).toEqual([
        good('{\n  "a": "ok"\n}'),
        bad('{\n  "a": "trunc\n  "b": 1\n}', FramingError.STRING_PAST_LINE),
        good('{\n  "a": "next"\n}'),
      ]);
    });
    it('a truncated element of a pretty-printed top-level array', () => {
      const file = '[\n  {\n    "a": 1\n  },\n  {\n    "a": "tru\n  {\n    "a": 3\n  },\n  {\n    "a": {\n]\n';
      expect(scan(file)).toEqual([
        good('{\n    "a": 1\n  }'),
        bad('{\n    "a": "tru', FramingError.STRING_PAST_LINE),
        good('{\n    "a": 3\n  }'),
        bad('{\n    "a": {', FramingError.NEXT_VALUE_STARTS),
      ]);
    });
    it('a truncated element of a top-level array of one-line items', () => {
      expect(scan('[\n{"a":1},\n{"a":{"b":\n{"a":3}\n]')).toEqual([
        good('{"a":1}'), bad('{"a":{"b":', FramingError.NEXT_VALUE_STARTS), good('{"a":3}'),
      ]);
    });
    it('a file that ends inside a value: the tail, never a throw', () => {
      expect(scan('{"a": {"b": 1}')).toEqual([bad('{"a": {"b": 1}', FramingError.FILE_ENDS_INSIDE)]);
      expect(scan('{"a":1}\n{"a":"x')).toEqual([good('{"a":1}'), bad('{"a":"x', FramingError.FILE_ENDS_INSIDE)]);
    });
    it('10,000-deep nesting is framed (the decoders and validation judge it)', () => {
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      expect(scan(`{"a":1}\n{"d":${deep}}\n{"b":${'['.repeat(10_000)}\n{"c":3}\n`, 4096)).toEqual([
        good('{"a":1}'), good(`{"d":${deep}}`), bad(`{"b":${'['.repeat(10_000)}`, FramingError.LINE_ENDS_INSIDE), good('{"c":3}'),
      ]);
    });
    it('invalid UTF-8 and raw NUL bytes are not structural: framed as they are', () => {
      const file = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0x00, 0xc3]), Buffer.from('"}\n{"b":2}\n')]);
      const s = new JsonItemScanner();
      const items = [...s.push(file), ...s.end()];
      expect(items.map((x) => x.error)).toEqual([undefined, undefined]);
      expect(items[0]!.bytes).toEqual(file.subarray(0, file.indexOf('\n')));
      expect(String(items[1]!.bytes)).toBe('{"b":2}');
    });
  });

  describe('memory and work are bounded', () => {
    it('a 50 MB string is cut at the limit: its first bytes kept, the next record framed', () => {
      const s = new JsonItemScanner({ maxBytes: 16 << 20 });
      const chunk = Buffer.alloc(1 << 20, 'x'.charCodeAt(0));
      const out: FramedItem[] = [...s.push(Buffer.from('{"a":1}\n{"big":"'))];
      for (let i = 0; i < 50; i++) out.push(...s.push(chunk));
      out.push(...s.push(Buffer.from('"}\n{"b":2}\n')), ...s.end());
      expect(out.map((x) => x.error?.replace(/\d+/g, 'N'))).toEqual([
        undefined, 'the record is N bytes, over the N-byte limit on one record: dead-lettered with its first N bytes only', undefined,
      ]);
      expect(out[1]!.error).toContain(`${50 * (1 << 20) + 10} bytes, over the ${16 << 20}-byte limit`);
      expect(out[1]!.bytes.length).toBe(1 << 20);
      expect(String(out[1]!.bytes.subarray(0, 8))).toBe('{"big":"');
      expect(out[1]!.position).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(String(out[2]!.bytes)).toBe('{"b":2}');
      // Only the limit's worth was ever joined, plus the kept prefix.
      expect(s.stats.bytesCopied).toBeLessThanOrEqual((16 << 20) + (1 << 20) + (1 << 20));
    });
    it('copies each byte at most once, however the items span chunks (linear, not quadratic)', () => {
      const record = `{"k":"${'v'.repeat(300)}","n":[1,2,3]}\n`;
      const file = Buffer.from(record.repeat(2000));
      for (const chunk of [7, 64, 4096]) {
        const { items, scanner } = frame(file, chunk);
        expect(items).toHaveLength(2000);
        expect(scanner.stats.bytesCopied).toBeLessThanOrEqual(file.length);
      }
      // One item spanning the whole input, fed a byte at a time: still each byte copied once.
      const one = Buffer.from(`{"a":"${'z'.repeat(200_000)}"}`);
      const { items, scanner } = frame(one, 1);
      expect(items).toEqual([good(String(one))]);
      expect(scanner.stats.bytesCopied).toBe(one.length);
    });
  });
});

describe('LineSplitter', () => {
  it('splits on bytes, so a multi-byte character across chunks survives, and drops \\r', () => {
    const s = new LineSplitter();
    const text = Buffer.from('café ✓\r\nnext\nlast');
    const lines = [];
    for (let i = 0; i < text.length; i++) lines.push(...s.push(text.subarray(i, i + 1)));
    lines.push(...s.end());
    expect(lines.map((l) => String(l.bytes))).toEqual(['café ✓', 'next', 'last']);
    expect(s.stats.bytesCopied).toBeLessThanOrEqual(text.length);
  });
  it('cuts a line over the limit', () => {
    const s = new LineSplitter(1000);
    const lines = [...s.push(Buffer.from(`${'a'.repeat(5000)}\nok\n`)), ...s.end()];
    expect(lines.map((l) => [l.bytes.length, l.error === undefined])).toEqual([[1000, false], [2, true]]);
  });
});
