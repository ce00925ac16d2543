/**
 * The file transport: turns a file into RawRecords. JSON files (one document, an array, JSON lines,
 * `kcat -J` envelopes) are split by JsonItemScanner; text logs are framed by the decoder's LogFramer.
 * Reads in chunks, so memory stays bounded whatever the file size.
 */
import { createReadStream } from 'node:fs';
import type { DecodeContext, Decoder } from '../../decoders/decoder.js';
import type { LogFramer } from '../../contracts/source.js';
import type { RawRecord } from '../../contracts/records.js';
import { JsonItemScanner } from './json-scanner.js';
import { contentPosition, itemToRecord } from './envelope.js';

export interface FileChunkProgress {
  (bytesRead: number): void;
}

const CHUNK = 1 << 20;

function firstNonSpace(buf: Buffer): number | undefined {
  for (const b of buf) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf) return b;
  return undefined;
}

/** Records of one file, each with its byte offset just past it (for checkpoints and progress). */
export async function* readFileRecords(
  path: string,
  decoder: Pick<Decoder, 'createLogFramer'> | null,
  ctx: DecodeContext,
  onProgress?: FileChunkProgress,
): AsyncGenerator<RawRecord> {
  let mode: 'json' | 'log' | null = null;
  const scanner = new JsonItemScanner();
  let framer: LogFramer | null = null;
  let carry = '';
  let bytes = 0;
  const logRecord = (entry: string): RawRecord => {
    const value = Buffer.from(entry, 'utf8');
    return { position: contentPosition(value), value };
  };
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (mode === null) {
      const b = firstNonSpace(chunk);
      if (b === undefined) continue;
      if (b === 0x7b || b === 0x5b || !decoder?.createLogFramer) mode = 'json';
      else {
        mode = 'log';
        framer = decoder.createLogFramer(ctx);
      }
    }
    if (mode === 'json') {
      for (const item of scanner.push(chunk)) yield itemToRecord(item);
    } else {
      const text = carry + chunk.toString('utf8');
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) for (const entry of framer!.line(line.replace(/\r$/, ''))) yield logRecord(entry);
    }
    onProgress?.(bytes);
  }
  if (mode === 'json') for (const item of scanner.end()) yield itemToRecord(item);
  if (mode === 'log') {
    if (carry) for (const entry of framer!.line(carry.replace(/\r$/, ''))) yield logRecord(entry);
    for (const entry of framer!.end()) yield logRecord(entry);
  }
}
