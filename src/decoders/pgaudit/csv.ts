/**
 * The one CSV dialect PostgreSQL and pgAudit write (RFC 4180 as PostgreSQL's csvlog and pgAudit's
 * `append_valid_csv` produce it): fields separated by `,`; a field holding `,`, `"`, CR or LF is wrapped in
 * `"` with inner quotes doubled; anything else is written bare. A quoted field may span lines.
 *
 * Lenient where the writers never go: a `"` inside a bare field is taken literally. Strict where a wrong
 * guess would shift every later field: text after a closing quote, or an unterminated quote, is an error.
 */

export interface CsvField {
  readonly value: string;
  /** Whether the field was written in quotes: csvlog writes NULL as a bare empty field, '' as `""`. */
  readonly quoted: boolean;
}

export type CsvResult =
  | { readonly ok: true; readonly fields: readonly CsvField[] }
  /** `reason` names what is wrong and where (field number), never the field's text. */
  | { readonly ok: false; readonly reason: string };

const QUOTE = 0x22;
const COMMA = 0x2c;

/** Split one CSV record (which may contain newlines inside quoted fields) into its fields. */
export function parseCsv(text: string): CsvResult {
  const fields: CsvField[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) return { ok: false, reason: `unterminated quoted field (field ${fields.length + 1})` };
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push({ value, quoted: true });
      if (i === n) return { ok: true, fields };
      if (text.charCodeAt(i) !== COMMA) return { ok: false, reason: `text after a closing quote (field ${fields.length})` };
      i++;
    } else {
      const c = text.indexOf(',', i);
      const end = c === -1 ? n : c;
      fields.push({ value: text.slice(i, end), quoted: false });
      if (c === -1) return { ok: true, fields };
      i = c + 1;
    }
  }
}

/** Whether `text` ends inside an open quoted field, given it started outside one (framing csvlog lines). */
export function togglesQuote(text: string, inQuote: boolean): boolean {
  let open = inQuote;
  for (let q = text.indexOf('"'); q !== -1; q = text.indexOf('"', q + 1)) open = !open;
  return open;
}
