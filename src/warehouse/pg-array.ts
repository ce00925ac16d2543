/** A PostgreSQL array literal for text[] values passed inside another array parameter (unnest flattens 2-D arrays). */
export function textArrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return '{}';
  return '{' + values.map((v) => '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}';
}
