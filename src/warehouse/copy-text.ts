/**
 * PostgreSQL COPY text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"):
 * columns separated by tabs, rows by newlines, NULL as `\N`, and backslash, newline, carriage return and
 * tab escaped with a backslash.
 */
type Cell = string | number | boolean | null;

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function copyCell(v: Cell): string {
  if (v === null) return '\\N';
  if (typeof v === 'string') return NEEDS_ESCAPE.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]!) : v;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return String(v);
}

export function copyRow(cells: readonly Cell[]): string {
  let line = copyCell(cells[0] ?? null);
  for (let i = 1; i < cells.length; i++) line += '\t' + copyCell(cells[i] ?? null);
  return line + '\n';
}
