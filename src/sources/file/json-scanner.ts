/**
 * Streaming splitter for files of JSON: one document, a JSON array, JSON lines, or concatenated
 * (pretty-printed) documents. Emits each item's exact bytes — never re-serialized, so dead letters keep
 * what was in the file and numbers keep every digit. Works on bytes: every structural character is ASCII,
 * so UTF-8 multi-byte sequences never confuse it. An array at the top of the file is unwrapped: its
 * elements are the items.
 */
const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export class JsonItemScanner {
  private pending: Buffer = Buffer.alloc(0);
  /** Where scanning resumes in `pending` (bytes before it were already scanned). */
  private resumeAt = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private inScalar = false;
  /** Offset in the working buffer where the current item starts, or -1 between items. */
  private start = -1;
  /** Nesting depth at which items sit: 1 inside a top-level array, else 0. -1 until the first byte. */
  private base = -1;

  /** Feed the next chunk; returns the items it completed. */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const items: Buffer[] = [];
    for (let i = this.resumeAt; i < buf.length; i++) {
      const b = buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.depth === this.base) { items.push(buf.subarray(this.start, i + 1)); this.start = -1; }
        }
        continue;
      }
      if (this.inScalar) {
        if (!(isSpace(b) || b === COMMA || b === CLOSE_ARR || b === CLOSE_OBJ)) continue;
        this.inScalar = false;
        items.push(buf.subarray(this.start, i));
        this.start = -1;
      }
      if (this.base === -1) {
        if (isSpace(b)) continue;
        this.base = b === OPEN_ARR ? 1 : 0;
        if (this.base === 1) { this.depth = 1; continue; }
      }
      if (this.start < 0) {
        if (isSpace(b) || b === COMMA) continue;
        if (b === CLOSE_ARR && this.depth === 1 && this.base === 1) {
          // end of the top-level array; anything after it is read as concatenated documents
          this.depth = 0;
          this.base = 0;
          continue;
        }
        this.start = i;
        if (b !== OPEN_OBJ && b !== OPEN_ARR && b !== QUOTE) { this.inScalar = true; continue; }
      }
      if (b === QUOTE) { this.inString = true; continue; }
      if (b === OPEN_OBJ || b === OPEN_ARR) { this.depth++; continue; }
      if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        this.depth--;
        if (this.depth === this.base) { items.push(buf.subarray(this.start, i + 1)); this.start = -1; }
      }
    }
    if (this.start >= 0) {
      this.pending = Buffer.from(buf.subarray(this.start));
      this.resumeAt = buf.length - this.start;
      this.start = 0;
    } else {
      this.pending = Buffer.alloc(0);
      this.resumeAt = 0;
    }
    return items;
  }

  /** End of input: returns a trailing scalar; throws if a value was left incomplete. */
  end(): Buffer[] {
    if (this.start < 0) return [];
    if (this.inScalar) { this.inScalar = false; this.start = -1; return [this.pending]; }
    throw new Error(`the file ends inside a JSON value (${this.pending.length} bytes left over)`);
  }
}
