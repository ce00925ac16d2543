/** A PostgreSQL array literal for text[] values passed inside another array parameter (unnest flattens 2-D arrays). */
export function textArrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return '{}';
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) out += ',';
    out += v.indexOf('\\') < 0 && v.indexOf('"') < 0 ? '"' + v + '"' : '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  }
  return out + '}';
}

/**
 * An upper bound on the length of `textArrayLiteral(values)` (every character escaped), without building it.
 */
export function textArrayLiteralMaxLength(values: readonly string[]): number {
  let n = 2;
  for (const v of values) n += 2 * v.length + 3;
  return n;
}
