/**
 * The file transport as a Source: files read one after another (or `parallel` at once, a chunk of each in
 * turn), each file its own checkpoint stream, progress reported for big ones; or, with
 * `follow`, one growing file (a server log) read as it grows until the source is stopped.
 */
import { statSync } from 'node:fs';
import { resolve, basename } from 'node:path';
import type { LogFramer, Source, SourceLag } from '../../contracts/source.js';
import type { SourceRecord } from '../../contracts/records.js';
import { readFileRecordChunks } from './read-records.js';

export interface FileSourceOptions {
  readonly paths: readonly string[];
  /** The format's log framer, for files that are text logs (pgAudit); null: files are JSON. */
  readonly logFramer: (() => LogFramer) | null;
  /** Called about every 2 s while a file larger than 8 MiB is read. */
  readonly progress?: (line: string) => void;
  /** Largest record kept whole (default 16 MiB, docs/sources/file.md "Limits"). */
  readonly maxRecordBytes?: number;
  /**
   * Keep reading the (single) file as it grows, like `tail -F`, until `stop()`: a live source. The file may
   * not exist yet; truncated or replaced under the same name, it is read again from its start.
   */
  readonly follow?: boolean;
  /** Files read at once, a chunk of each in turn (default 1: one after another); `--in-flight`. */
  readonly parallel?: number;
}

const sizeOf = (abs: string): number => {
  try {
    return statSync(abs).size;
  } catch {
    return 0;
  }
};

export function fileSource(o: FileSourceOptions): Source {
  if (o.follow && o.paths.length !== 1) throw new Error('fileSource: follow reads exactly one file');
  /** Bytes read so far and the size to read, per file: the source's lag is their difference. */
  const read = new Map<string, { bytes: number; size: number }>();
  const stopped = new AbortController();
  return {
    description: `file ${o.paths.map((p) => basename(p)).join(', ')}${o.follow ? ' (followed)' : ''}`,
    lag: (): readonly SourceLag[] =>
      [...read].map(([abs, r]) => ({
        stream: `file:${abs}`,
        unit: 'bytes' as const,
        value: Math.max(0, (o.follow ? sizeOf(abs) : r.size) - r.bytes),
      })),
    stop: () => stopped.abort(),
    async *records(): AsyncGenerator<SourceRecord> {
      for (const path of o.paths) read.set(resolve(path), { bytes: 0, size: o.follow ? 0 : statSync(resolve(path)).size });
      const chunksOf = (path: string): AsyncGenerator<SourceRecord[]> => fileChunks(path, o, read, stopped.signal);
      // Up to `parallel` files open at once, a chunk of each in turn: each file is its own checkpoint stream,
      // so the pipeline can write their batches side by side (--in-flight).
      const waiting = o.paths.map(chunksOf);
      const open = waiting.splice(0, Math.max(1, o.parallel ?? 1));
      try {
        while (open.length > 0) {
          for (let i = 0; i < open.length; i++) {
            const next = await open[i]!.next();
            if (next.done) {
              open.splice(i--, 1, ...waiting.splice(0, 1));
              continue;
            }
            yield* next.value;
          }
        }
      } finally {
        // Ended early (the pipeline stopped reading): close the files still open.
        await Promise.all(open.map((it) => it.return(undefined)));
      }
    },
  };
}

/** One file's records, chunk by chunk, each with its checkpoint in the file's stream; progress in `read`. */
async function* fileChunks(
  path: string,
  o: FileSourceOptions,
  read: Map<string, { bytes: number; size: number }>,
  follow: AbortSignal,
): AsyncGenerator<SourceRecord[]> {
  const abs = resolve(path);
  const size = read.get(abs)!.size;
  const started = Date.now();
  let last = started;
  let n = 0;
  const report = (bytes: number) => {
    read.set(abs, { bytes, size });
    if (!(size > 8 << 20 && o.progress)) return;
    const now = Date.now();
    if (now - last < 2000) return;
    last = now;
    const rate = Math.round(n / ((now - started) / 1000));
    o.progress(`${basename(path)}: ${Math.floor((bytes / size) * 100)}% — ${n} records, ${rate}/s`);
  };
  const stream = `file:${abs}`;
  for await (const records of readFileRecordChunks(abs, o.logFramer, {
    onProgress: report,
    ...(o.maxRecordBytes !== undefined ? { maxRecordBytes: o.maxRecordBytes } : {}),
    ...(o.follow ? { follow } : {}),
  })) {
    yield records.map((record) => ({ ...record, checkpoint: { stream, position: String(++n) } }));
  }
  if (!o.follow) read.set(abs, { bytes: size, size });
}
