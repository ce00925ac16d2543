/**
 * Frames a PostgreSQL log file into entries (the LogFramer contract in src/decoders/decoder.ts). The first
 * line that says what the file is decides it for the rest:
 * - **stderr**: a line that starts with the log_line_prefix and a severity (`LOG:  `) starts an entry; the
 *   lines after it belong to it (a multi-line statement) until the next such line. Blank lines between
 *   entries are dropped; blank lines inside one are kept. PostgreSQL (elog.c `append_with_tabs`) indents
 *   every continuation line of a message with a tab, so every line that is not indented and not blank
 *   starts an entry, whether the prefix matches it or not: a damaged line, a line of another prefix or a
 *   stray line (a child process's output) then costs that line alone — the decoder dead-letters it when
 *   it carries `AUDIT:` and skips it otherwise — and never becomes part of the entry before it.
 * - **csvlog**: a record ends at the first line end outside a quoted field. A damaged record with an
 *   unbalanced quote would swallow the records after it, so while a quote is open the lines that begin
 *   like a csvlog record (a timestamp and a comma) are remembered; when the record closes and is not a
 *   valid csvlog record, or the file ends inside it, it is cut at the first such line: the part before is
 *   passed on alone (the decoder dead-letters it) and the rest is framed again. A valid record is never cut,
 *   so a statement whose text holds a line that looks like a csvlog record cannot forge an entry.
 * - **jsonlog** (when a JSON-lines file is framed as text): one entry per non-blank line.
 * Lines before the first recognizable one are passed on one by one (the decoder skips them).
 */
import type { LogFramer } from '../decoder.js';
import { togglesQuote } from './csv.js';
import { CSVLOG_START, parseCsvlogRecord } from './csvlog.js';
import { isUnmatchedAuditLine } from './detect.js';
import type { PrefixSet } from './log-line-prefix.js';

/** An entry this long is passed on as it is (the decoder will reject it) so memory stays bounded. */
export const MAX_ENTRY_CHARS = 64 * 1024 * 1024;

type Mode = 'unknown' | 'stderr' | 'csvlog' | 'jsonlog';

/** Not indented and not blank: a line PostgreSQL wrote as the first line of an entry (see above). */
const startsStderrEntry = (line: string): boolean => !line.startsWith('\t') && line.trim() !== '';

export class PgLogFramer implements LogFramer {
  private mode: Mode = 'unknown';
  private lines: string[] = [];
  private chars = 0;
  private blanks = 0;
  private inQuote = false;
  /** csvlog: indexes of buffered lines that began like a record while a quote was open. */
  private restarts: number[] = [];

  constructor(private readonly prefixes: PrefixSet) {}

  line(text: string): string[] {
    if (this.mode === 'unknown') {
      if (text.trim() === '') return [];
      this.mode = this.detect(text);
      if (this.mode === 'unknown') return [text];
    }
    switch (this.mode) {
      case 'jsonlog':
        return text.trim() === '' ? [] : [text];
      case 'csvlog':
        return this.csvLine(text);
      default:
        return this.stderrLine(text);
    }
  }

  end(): string[] {
    if (this.mode !== 'csvlog') return this.flush();
    const out: string[] = [];
    while (this.lines.length > 0) out.push(...this.flushCsv());
    return out;
  }

  private detect(first: string): Mode {
    if (this.prefixes.match(first)) return 'stderr';
    if (CSVLOG_START.test(first)) return 'csvlog';
    if (isUnmatchedAuditLine(first)) return 'stderr';
    if (first.trimStart().startsWith('{')) return 'jsonlog';
    return 'unknown';
  }

  private stderrLine(text: string): string[] {
    if (startsStderrEntry(text)) {
      const out = this.flush();
      this.push(text);
      return out;
    }
    if (this.lines.length === 0) return text.trim() === '' ? [] : [text];
    if (text === '') {
      this.blanks++;
      return [];
    }
    for (; this.blanks > 0; this.blanks--) this.push('');
    this.push(text);
    return this.chars > MAX_ENTRY_CHARS ? this.flush() : [];
  }

  private csvLine(text: string): string[] {
    if (this.lines.length === 0 && text === '') return [];
    if (this.inQuote && CSVLOG_START.test(text)) this.restarts.push(this.lines.length);
    this.push(text);
    this.inQuote = togglesQuote(text, this.inQuote);
    return !this.inQuote || this.chars > MAX_ENTRY_CHARS ? this.flushCsv() : [];
  }

  /** Pass the buffered csvlog record on, cut at its first restart when it is not a valid record. */
  private flushCsv(): string[] {
    const cut = this.restarts[0];
    if (cut === undefined || (!this.inQuote && parseCsvlogRecord(this.lines.join('\n')).ok)) return this.flush();
    const rest = this.lines.slice(cut);
    this.lines = this.lines.slice(0, cut);
    const out = this.flush();
    for (const line of rest) out.push(...this.csvLine(line));
    return out;
  }

  private push(text: string): void {
    this.lines.push(text);
    this.chars += text.length + 1;
  }

  private flush(): string[] {
    this.blanks = 0;
    this.inQuote = false;
    this.restarts = [];
    if (this.lines.length === 0) return [];
    const entry = this.lines.join('\n');
    this.lines = [];
    this.chars = 0;
    return [entry];
  }
}
