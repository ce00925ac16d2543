/**
 * Streaming framer for files of JSON: one document, a top-level JSON array, JSON lines, or concatenated
 * (pretty-printed) documents (docs/sources/file.md "Framing"). Emits each item's exact bytes — never
 * re-serialized, so dead letters keep what was in the file and numbers keep every digit. Works on bytes:
 * every structural character is ASCII, so UTF-8 multi-byte sequences never confuse it. An array at the top
 * of the file is unwrapped: its elements are the items.
 *
 * It tracks only brackets and quotes, not full JSON syntax (the decoders parse each item). An item that
 * cannot be framed — truncated, a bit flip in a quote or bracket, a stray closing bracket — is cut at the
 * next record boundary and emitted with `error` set, so one bad record never swallows the rest of the file:
 * - JSON lines (the first item fits on its line and nothing else follows on it): a line end ends every item.
 * - Otherwise a line whose first byte is `{` at column 0 starts a new top-level value; inside a top-level
 *   array, a line whose first non-blank byte is `{` at the column where the array's items start (learnt from
 *   the first item that begins a line) starts a new element, and a `]` at column 0 closes the array.
 *   A raw line end inside a string (never valid JSON) marks the item as broken until such a line.
 * An item over `maxBytes` is cut: only its first bytes are kept (item-buffer.ts), and it is emitted with
 * `error` set once its end is found. Linear in the input; memory bounded by `maxBytes` plus one chunk.
 */
import { DEFAULT_MAX_RECORD_BYTES, ItemBuffer, type FramingStats } from './item-buffer.js';

const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, LF = 0x0a, CR = 0x0d, SP = 0x20, TAB = 0x09;
const BOM = [0xef, 0xbb, 0xbf];

const isBlank = (b: number) => b === SP || b === TAB || b === CR || b === LF;

/** Why an item could not be framed; stable texts, stored as dead-letter messages (no input in them). */
export const FramingError = {
  LINE_ENDS_INSIDE: 'the line ends inside a JSON value (a truncated or corrupt record)',
  STRING_PAST_LINE: 'a string runs past the end of its line (a truncated or corrupt record)',
  NEXT_VALUE_STARTS: 'a new top-level value starts at the beginning of a line before this one ended (a truncated or corrupt record)',
  STRAY_CLOSE: 'a closing bracket outside any JSON value (a truncated or corrupt record)',
  FILE_ENDS_INSIDE: 'the file ends inside a JSON value (a truncated record)',
} as const;

export const oversizedMessage = (length: number, max: number, kept: number) =>
  `the record is ${length} bytes, over the ${max}-byte limit on one record: dead-lettered with its first ${kept} bytes only`;

export interface FramedItem {
  /** The item's exact bytes (only its first bytes when it was over the limit). */
  readonly bytes: Buffer;
  /** Set when the item could not be framed: why. */
  readonly error?: string;
  /** Set when `bytes` is only a prefix: the content position (`sha256:…`) of the whole item. */
  readonly position?: string;
}

export interface JsonScannerOptions {
  /** Largest item kept whole (default 16 MiB). */
  readonly maxBytes?: number;
}

type Mode = 'unknown' | 'maybe-lines' | 'lines' | 'documents';
type Kind = 'struct' | 'string' | 'scalar';

export class JsonItemScanner {
  readonly stats: FramingStats = { bytesCopied: 0 };
  private readonly item: ItemBuffer;
  private mode: Mode = 'unknown';
  /** Nesting depth at which items sit: 1 inside a top-level array, else 0. -1 until the first byte. */
  private base = -1;
  private depth = 0;
  private bom = 0;
  private inItem = false;
  private kind: Kind = 'struct';
  private inString = false;
  private escaped = false;
  /** Set once the current item is known to be unframable: scanning skips to the next boundary. */
  private broken: string | null = null;
  private itemHadNewline = false;
  /** Where the current item starts in the chunk being scanned (0 when it began in an earlier chunk). */
  private startAt = 0;
  private lineHead = true;
  private indent = 0;
  /** Column of a top-level array's items, once one began a line; -1 until then. */
  private itemIndent = -1;

  constructor(options: JsonScannerOptions = {}) {
    this.item = new ItemBuffer(options.maxBytes ?? DEFAULT_MAX_RECORD_BYTES, this.stats);
  }

  /** Feed the next chunk; returns the items it completed. */
  push(chunk: Buffer): FramedItem[] {
    const out: FramedItem[] = [];
    for (let i = 0; i < chunk.length; i++) {
      if (this.inItem && !this.lineHead && this.broken === null && this.kind !== 'scalar') {
        // the bulk of every item: brackets and strings up to the line's end, in one tight loop
        i = this.scanToLineEnd(chunk, i, out);
        if (i === chunk.length) break;
      }
      const b = chunk[i]!;
      if (this.bom >= 0) {
        if (b === BOM[this.bom]) {
          if (++this.bom === BOM.length) this.bom = -1;
          continue;
        }
        this.bom = -1;
      }
      if (b === LF) {
        this.newline(chunk, i, out);
        continue;
      }
      let firstOnLine = false;
      if (this.lineHead) {
        if (b === SP || b === TAB) { this.indent++; continue; }
        if (b === CR) continue;
        this.lineHead = false;
        firstOnLine = true;
        if (this.inItem && this.resyncsAt(b)) this.cut(chunk, i, out, this.broken ?? FramingError.NEXT_VALUE_STARTS);
      }
      if (this.inItem) {
        if (this.broken !== null) continue;
        if (this.kind === 'scalar') {
          if (!(isBlank(b) || b === COMMA || b === CLOSE_ARR || b === CLOSE_OBJ)) continue;
          this.finish(chunk, i, out); // and read the delimiter below
        } else {
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (b === BACKSLASH) this.escaped = true;
            else if (b === QUOTE) {
              this.inString = false;
              if (this.kind === 'string') this.finish(chunk, i + 1, out);
            }
          } else if (b === QUOTE) this.inString = true;
          else if (b === OPEN_OBJ || b === OPEN_ARR) this.depth++;
          else if ((b === CLOSE_OBJ || b === CLOSE_ARR) && --this.depth === this.base) this.finish(chunk, i + 1, out);
          continue;
        }
      }
      this.between(b, i, firstOnLine);
    }
    if (this.inItem) {
      this.item.append(chunk.subarray(this.startAt));
      this.startAt = 0;
    }
    return out;
  }

  /** End of input: a trailing scalar, or the unfinished tail as an unframable item. Never throws. */
  end(): FramedItem[] {
    if (!this.inItem) return [];
    const clean = this.kind === 'scalar' && this.broken === null;
    this.inItem = false;
    return [this.framed(clean ? null : (this.broken ?? FramingError.FILE_ENDS_INSIDE), false)];
  }

  /**
   * Inside a struct or string item, past the line's first byte: track strings and depth from `from` up to
   * the next line end (returns its index) or the item's last byte (finishes the item, returns the index
   * after it), exactly as the byte-by-byte loop in push() would.
   */
  private scanToLineEnd(chunk: Buffer, from: number, out: FramedItem[]): number {
    const n = chunk.length;
    const base = this.base;
    const stringItem = this.kind === 'string';
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let i = from;
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (b === LF) break;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) {
          inString = false;
          if (stringItem) break;
        }
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_OBJ || b === OPEN_ARR) depth++;
      else if ((b === CLOSE_OBJ || b === CLOSE_ARR) && --depth === base) break;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    if (i === n || chunk[i] === LF) return i;
    this.finish(chunk, i + 1, out);
    return i + 1;
  }

  /** A byte outside any item. */
  private between(b: number, i: number, firstOnLine: boolean): void {
    if (b === SP || b === TAB || b === CR) return;
    if (this.mode === 'maybe-lines') this.mode = 'documents'; // something follows the first item on its line
    if (this.base === -1) {
      this.base = b === OPEN_ARR ? 1 : 0;
      if (this.base === 1) { this.depth = 1; return; }
    }
    if (b === COMMA) return;
    if (b === CLOSE_ARR && this.base === 1 && this.depth === 1) {
      // end of the top-level array; anything after it is read as concatenated documents
      this.base = 0;
      this.depth = 0;
      this.mode = 'documents';
      return;
    }
    this.inItem = true;
    this.startAt = i;
    this.itemHadNewline = false;
    this.inString = false;
    this.escaped = false;
    if (this.base === 1 && this.itemIndent < 0 && firstOnLine) this.itemIndent = this.indent;
    if (b === OPEN_OBJ || b === OPEN_ARR) { this.kind = 'struct'; this.depth++; }
    else if (b === QUOTE) { this.kind = 'string'; this.inString = true; }
    else if (b === CLOSE_OBJ || b === CLOSE_ARR) { this.kind = 'struct'; this.broken = FramingError.STRAY_CLOSE; }
    else this.kind = 'scalar';
  }

  private newline(chunk: Buffer, i: number, out: FramedItem[]): void {
    this.lineHead = true;
    this.indent = 0;
    if (!this.inItem) {
      if (this.mode === 'maybe-lines') this.mode = 'lines';
      return;
    }
    if (this.kind === 'scalar' && this.broken === null) return this.finish(chunk, i, out);
    if (this.mode === 'lines') return this.cut(chunk, i, out, this.broken ?? FramingError.LINE_ENDS_INSIDE);
    this.itemHadNewline = true;
    if (this.inString && this.broken === null) this.broken = FramingError.STRING_PAST_LINE;
  }

  /** Does the first byte of a line, met inside an item, start the next item? */
  private resyncsAt(b: number): boolean {
    if (this.base === 1) return (b === OPEN_OBJ && this.indent === this.itemIndent) || (b === CLOSE_ARR && this.indent === 0);
    return b === OPEN_OBJ && this.indent === 0;
  }

  /** The current item ends cleanly just before `end`. */
  private finish(chunk: Buffer, end: number, out: FramedItem[]): void {
    this.item.append(chunk.subarray(this.startAt, end));
    this.inItem = false;
    if (this.mode === 'unknown' && this.base === 0) this.mode = this.itemHadNewline ? 'documents' : 'maybe-lines';
    out.push(this.framed(null, false));
  }

  /** The current item cannot be framed: it ends just before `end`; the next one may start at `end`. */
  private cut(chunk: Buffer, end: number, out: FramedItem[], reason: string): void {
    this.item.append(chunk.subarray(this.startAt, end));
    this.inItem = false;
    this.depth = Math.max(this.base, 0);
    out.push(this.framed(reason, true));
  }

  private framed(error: string | null, trim: boolean): FramedItem {
    this.broken = null;
    this.inString = false;
    const c = this.item.take();
    let bytes = c.bytes;
    if (trim) {
      let n = bytes.length;
      while (n > 0 && isBlank(bytes[n - 1]!)) n--;
      bytes = bytes.subarray(0, n);
    }
    if (c.position !== undefined) {
      return { bytes, error: oversizedMessage(c.length, this.item.maxBytes, bytes.length), position: c.position };
    }
    return error === null ? { bytes } : { bytes, error };
  }
}
