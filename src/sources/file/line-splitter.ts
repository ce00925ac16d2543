/**
 * Streaming splitter of a text log into lines (without `\n`, a trailing `\r` dropped), on bytes: a line is
 * decoded once it is whole, so a multi-byte character split across chunks stays intact. Linear in the
 * input; a line over `maxBytes` is cut like an oversized JSON item (item-buffer.ts).
 */
import { DEFAULT_MAX_RECORD_BYTES, ItemBuffer, type FramingStats } from './item-buffer.js';
import { oversizedMessage, type FramedItem } from './json-scanner.js';

const LF = 0x0a, CR = 0x0d;

export class LineSplitter {
  readonly stats: FramingStats = { bytesCopied: 0 };
  private readonly line: ItemBuffer;
  private open = false;

  constructor(maxBytes = DEFAULT_MAX_RECORD_BYTES) {
    this.line = new ItemBuffer(maxBytes, this.stats);
  }

  push(chunk: Buffer): FramedItem[] {
    const out: FramedItem[] = [];
    let from = 0;
    for (let at = chunk.indexOf(LF); at >= 0; at = chunk.indexOf(LF, from)) {
      this.line.append(chunk.subarray(from, at));
      out.push(this.take());
      from = at + 1;
    }
    this.line.append(chunk.subarray(from));
    this.open = this.line.length > 0;
    return out;
  }

  end(): FramedItem[] {
    return this.open ? [this.take()] : [];
  }

  private take(): FramedItem {
    this.open = false;
    const c = this.line.take();
    const bytes = c.bytes.length > 0 && c.bytes[c.bytes.length - 1] === CR ? c.bytes.subarray(0, -1) : c.bytes;
    if (c.position === undefined) return { bytes };
    return { bytes, error: oversizedMessage(c.length, this.line.maxBytes, bytes.length), position: c.position };
  }
}
