/**
 * The file transport: turns a file into RawRecords. JSON files (one document, an array, JSON lines,
 * concatenated documents, `kcat -J` envelopes) are framed by JsonItemScanner; text logs are split into lines
 * and framed into entries by the format's LogFramer (handed in, so the transport knows no format). Reads in chunks, so memory stays bounded whatever
 * the file size. What cannot be framed becomes a record with `framingError` and its raw bytes, which the
 * pipeline dead-letters (docs/sources/file.md). Followed (`follow`), a file is read as it grows, like `tail -F`.
 */
import { createReadStream } from 'node:fs';
import { followFile } from './follow.js';
import type { LogFramer } from '../../contracts/source.js';
import type { RawRecord } from '../../contracts/records.js';
import { JsonItemScanner, type FramedItem } from './json-scanner.js';
import { LineSplitter } from './line-splitter.js';
import { contentPosition, itemToRecord } from './envelope.js';
import { DEFAULT_MAX_RECORD_BYTES } from './item-buffer.js';

export interface FileChunkProgress {
  (bytesRead: number): void;
}

export interface ReadRecordsOptions {
  /** Largest record kept whole (default 16 MiB); a larger one is dead-lettered with its first bytes. */
  readonly maxRecordBytes?: number;
  readonly onProgress?: FileChunkProgress;
  /** Follow the file as it grows (follow.ts) until this signal aborts; without it, read to the end once. */
  readonly follow?: AbortSignal;
}

const CHUNK = 1 << 20;

function firstNonSpace(buf: Buffer): number | undefined {
  for (const b of buf) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf) return b;
  return undefined;
}

/** An item that could not be framed: its bytes, dead-lettered by the pipeline with the reason. */
export function unframable(item: FramedItem, error: string): RawRecord {
  return { position: item.position ?? contentPosition(item.bytes), value: item.bytes, framingError: error };
}

function jsonRecord(item: FramedItem): RawRecord {
  return item.error === undefined ? itemToRecord(item.bytes) : unframable(item, item.error);
}

/** Records of one file, in file order. */
export async function* readFileRecords(
  path: string,
  /** Frames a text log into entries (the format's LogFramer); null: the file must be JSON. */
  logFramer: (() => LogFramer) | null,
  options: ReadRecordsOptions = {},
): AsyncGenerator<RawRecord> {
  for await (const records of readFileRecordChunks(path, logFramer, options)) yield* records;
}

/**
 * The same records, as the array each chunk of the file completes: one await per chunk instead of one per
 * record, for the file source's hot loop.
 */
export async function* readFileRecordChunks(
  path: string,
  /** Frames a text log into entries (the format's LogFramer); null: the file must be JSON. */
  logFramer: (() => LogFramer) | null,
  options: ReadRecordsOptions = {},
): AsyncGenerator<RawRecord[]> {
  const maxBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let mode: 'json' | 'log' | null = null;
  let scanner: JsonItemScanner | null = null;
  let lines: LineSplitter | null = null;
  let framer: LogFramer | null = null;
  let bytes = 0;
  const logRecord = (entry: string): RawRecord => {
    const value = Buffer.from(entry, 'utf8');
    return { position: contentPosition(value), value };
  };
  const logRecords = (items: FramedItem[]): RawRecord[] => {
    const out: RawRecord[] = [];
    for (const line of items) {
      if (line.error !== undefined) out.push(unframable(line, line.error));
      else for (const entry of framer!.line(line.bytes.toString('utf8'))) out.push(logRecord(entry));
    }
    return out;
  };
  const chunks = options.follow ? followFile(path, options.follow) : (createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>);
  for await (const chunk of chunks) {
    bytes += chunk.length;
    options.onProgress?.(bytes); // bytes read from the file (the chunk's records follow)
    if (mode === null) {
      const b = firstNonSpace(chunk);
      if (b === undefined) continue;
      if (b === 0x7b || b === 0x5b || !logFramer) {
        mode = 'json';
        scanner = new JsonItemScanner({ maxBytes });
      } else {
        mode = 'log';
        lines = new LineSplitter(maxBytes);
        framer = logFramer();
      }
    }
    yield scanner ? scanner.push(chunk).map(jsonRecord) : logRecords(lines!.push(chunk));
  }
  // A followed file was stopped, not ended: its last line may be half written; it is read again, whole,
  // by the next run (which reads from the start; what was stored is absorbed as duplicates).
  if (options.follow) return;
  if (scanner) yield scanner.end().map(jsonRecord);
  if (lines) yield [...logRecords(lines.end()), ...framer!.end().map(logRecord)];
}
