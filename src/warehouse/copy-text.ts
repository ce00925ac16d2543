/**
 * PostgreSQL COPY text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"):
 * columns separated by tabs, rows by newlines, NULL as `\N`, and backslash, newline, carriage return and
 * tab escaped with a backslash.
 */
type Cell = string | number | boolean | null;

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const BACKSLASH = 0x5c, LF = 0x0a, CR = 0x0d, TAB = 0x09;

/** `v` with backslash, newline, carriage return and tab escaped (one pass, no callback per match). */
function escaped(v: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c !== BACKSLASH && c !== LF && c !== CR && c !== TAB) continue;
    out += v.slice(from, i) + (c === BACKSLASH ? '\\\\' : c === LF ? '\\n' : c === CR ? '\\r' : '\\t');
    from = i + 1;
  }
  return out + v.slice(from);
}

export function copyCell(v: Cell): string {
  if (v === null) return '\\N';
  if (typeof v === 'string') return NEEDS_ESCAPE.test(v) ? escaped(v) : v;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return String(v);
}

/** One row's line: built by one join, not a concatenation per cell. */
export function copyRow(cells: readonly Cell[]): string {
  const parts: string[] = new Array<string>(cells.length);
  for (let i = 0; i < cells.length; i++) parts[i] = copyCell(cells[i] ?? null);
  return parts.join('\t') + '\n';
}
