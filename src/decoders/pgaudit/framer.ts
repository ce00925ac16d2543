/**
 * Frames a PostgreSQL log file into entries (the LogFramer contract in src/decoders/decoder.ts). The first
 * line that says what the file is decides it for the rest:
 * - **stderr**: a line that starts with the log_line_prefix and a severity (`LOG:  `) starts an entry; the
 *   lines after it belong to it (a multi-line statement) until the next such line. Blank lines between
 *   entries are dropped; blank lines inside one are kept. A line the prefix does not match but that holds
 *   `LOG:  AUDIT: SESSION,…` and is not tab-indented (PostgreSQL indents continuation lines) also starts an
 *   entry, so a wrong prefix dead-letters audit entries instead of hiding them in the entry before.
 * - **csvlog**: a record ends at the first line end outside a quoted field.
 * - **jsonlog** (when a JSON-lines file is framed as text): one entry per non-blank line.
 * Lines before the first recognizable one are passed on one by one (the decoder skips them).
 */
import type { LogFramer } from '../decoder.js';
import { togglesQuote } from './csv.js';
import { CSVLOG_START } from './csvlog.js';
import { isUnmatchedAuditLine } from './detect.js';
import type { PrefixSet } from './log-line-prefix.js';

/** An entry this long is passed on as it is (the decoder will reject it) so memory stays bounded. */
export const MAX_ENTRY_CHARS = 64 * 1024 * 1024;

type Mode = 'unknown' | 'stderr' | 'csvlog' | 'jsonlog';

export class PgLogFramer implements LogFramer {
  private mode: Mode = 'unknown';
  private lines: string[] = [];
  private chars = 0;
  private blanks = 0;
  private inQuote = false;

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
    return this.flush();
  }

  private detect(first: string): Mode {
    if (this.prefixes.match(first)) return 'stderr';
    if (CSVLOG_START.test(first)) return 'csvlog';
    if (isUnmatchedAuditLine(first)) return 'stderr';
    if (first.trimStart().startsWith('{')) return 'jsonlog';
    return 'unknown';
  }

  private stderrLine(text: string): string[] {
    if (this.prefixes.match(text) || isUnmatchedAuditLine(text)) {
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
    this.push(text);
    this.inQuote = togglesQuote(text, this.inQuote);
    return !this.inQuote || this.chars > MAX_ENTRY_CHARS ? this.flush() : [];
  }

  private push(text: string): void {
    this.lines.push(text);
    this.chars += text.length + 1;
  }

  private flush(): string[] {
    this.blanks = 0;
    this.inQuote = false;
    if (this.lines.length === 0) return [];
    const entry = this.lines.join('\n');
    this.lines = [];
    this.chars = 0;
    return [entry];
  }
}
