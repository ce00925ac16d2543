import { describe, expect, it } from 'vitest';
import { JsonItemScanner } from '../../src/sources/file/json-scanner.js';

function scan(text: string, chunk = 3): string[] {
  const s = new JsonItemScanner();
  const out: string[] = [];
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunk) out.push(...s.push(buf.subarray(i, i + chunk)).map(String));
  out.push(...s.end().map(String));
  return out;
}

describe('JsonItemScanner', () => {
  it('splits JSON lines, keeping exact bytes', () => {
    expect(scan('{"a":1}\n{"b":"x}y"}\n')).toEqual(['{"a":1}', '{"b":"x}y"}']);
  });
  it('unwraps a top-level array', () => {
    expect(scan('[ {"a":[1,2]}, {"b":"\\"]"} ]')).toEqual(['{"a":[1,2]}', '{"b":"\\"]"}']);
  });
  it('reads one pretty-printed document and concatenated documents', () => {
    expect(scan('{\n  "a": {"b": 1}\n}\n{\n "c": 2\n}')).toEqual(['{\n  "a": {"b": 1}\n}', '{\n "c": 2\n}']);
  });
  it('keeps numbers with every digit and multi-byte text', () => {
    expect(scan('[{"p":12345678901234567890.123456789,"n":"café ✓"}]', 1)).toEqual([
      '{"p":12345678901234567890.123456789,"n":"café ✓"}',
    ]);
  });
  it('yields scalar items (null tombstones in arrays)', () => {
    expect(scan('[null, 1, "x"]')).toEqual(['null', '1', '"x"']);
  });
  it('throws on a truncated file', () => {
    expect(() => scan('{"a": {"b": 1}')).toThrow(/ends inside a JSON value/);
  });
});
