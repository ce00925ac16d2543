/**
 * PostgreSQL array text (https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO): `{1,2,NULL}`,
 * `{"a b","c\"d"}`, nested `{{1,2},{3,4}}`, optionally preceded by explicit bounds `[0:1]={…}`. Elements
 * are returned as text (null for an unquoted NULL) for the caller to decode by element type. The
 * delimiter is `,` for every built-in type this decoder parses (only `box` uses `;`).
 */
export type ArrayText = (string | null | ArrayText)[];

/** Parse an array literal; null when the text is not one (the caller then keeps the text). */
export function parseArrayLiteral(text: string): ArrayText | null {
  let i = 0;
  if (text[0] === '[') {
    const eq = text.indexOf('=');
    if (eq < 0) return null;
    i = eq + 1;
  }
  const parseArray = (): ArrayText | null => {
    if (text[i] !== '{') return null;
    i++;
    const out: ArrayText = [];
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      while (text[i] === ' ') i++;
      if (text[i] === '{') {
        const inner = parseArray();
        if (inner === null) return null;
        out.push(inner);
      } else if (text[i] === '"') {
        i++;
        let s = '';
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
        if (text[i] !== '"') return null;
        i++;
        out.push(s);
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(start, i).trim();
        out.push(raw.toUpperCase() === 'NULL' ? null : raw);
      }
      while (text[i] === ' ') i++;
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      return null;
    }
  };
  const parsed = parseArray();
  return parsed !== null && i === text.length ? parsed : null;
}
