/**
 * The bytes of one item being framed, collected as a list of chunk slices and joined once when the item
 * ends: each byte is copied at most once, so framing stays linear in the file size whatever the item size.
 * Past `maxBytes` an item stops being collected: only its first `keepBytes` are kept, and a SHA-256 of the
 * whole item is computed on the fly so its position stays the content hash of what was in the file.
 */
import { createHash, type Hash } from 'node:crypto';

/** Default limit on one record (JSON item or log line) in a file: 16 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** What a dead letter keeps of a record over the limit: its first 1 MiB (or the limit, if smaller). */
export const KEPT_BYTES_OF_OVERSIZED = 1024 * 1024;

export interface FramingStats {
  /** Bytes copied to join items that spanned chunks (the framing's only copying). */
  bytesCopied: number;
}

export interface CollectedItem {
  /** The item's bytes, or only its first bytes when it was over the limit. */
  readonly bytes: Buffer;
  /** The item's full length in the file. */
  readonly length: number;
  /** Set when `bytes` holds only a prefix: `sha256:<hex>` over the whole item. */
  readonly position?: string;
}

export class ItemBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  private total = 0;
  private hash: Hash | null = null;
  private readonly keepBytes: number;

  constructor(readonly maxBytes: number, readonly stats: FramingStats) {
    this.keepBytes = Math.min(KEPT_BYTES_OF_OVERSIZED, maxBytes);
  }

  /** Bytes of the item so far. */
  get length(): number {
    return this.total;
  }

  get oversized(): boolean {
    return this.hash !== null;
  }

  append(slice: Buffer): void {
    if (slice.length === 0) return;
    this.total += slice.length;
    if (this.hash) {
      this.hash.update(slice);
      return;
    }
    this.parts.push(slice);
    this.size += slice.length;
    if (this.size > this.maxBytes) this.overflow();
  }

  /** The item ended: hand back what was collected and start afresh. */
  take(): CollectedItem {
    const bytes = this.join();
    const item: CollectedItem = this.hash
      ? { bytes, length: this.total, position: 'sha256:' + this.hash.digest('hex') }
      : { bytes, length: this.total };
    this.parts = [];
    this.size = 0;
    this.total = 0;
    this.hash = null;
    return item;
  }

  private join(): Buffer {
    if (this.parts.length === 1) return this.parts[0]!;
    const joined = Buffer.concat(this.parts, this.size);
    this.stats.bytesCopied += this.size;
    return joined;
  }

  private overflow(): void {
    this.hash = createHash('sha256');
    // A copy of the first bytes only, so the dead letter does not pin the chunks it was sliced from.
    const kept = Buffer.allocUnsafe(this.keepBytes);
    let at = 0;
    for (const p of this.parts) {
      this.hash.update(p);
      if (at < this.keepBytes) at += p.copy(kept, at, 0, Math.min(p.length, this.keepBytes - at));
    }
    this.stats.bytesCopied += this.keepBytes;
    this.parts = [kept];
    this.size = this.keepBytes;
  }
}
