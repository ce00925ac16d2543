/** The file transport as a Source: files read one after another, progress reported for big ones. */
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
}

export function fileSource(o: FileSourceOptions): Source {
  /** Bytes not read yet, per file (a file's entry goes to 0 once read to its end): the source's lag. */
  const left = new Map<string, number>();
  return {
    description: `file ${o.paths.map((p) => basename(p)).join(', ')}`,
    lag: (): readonly SourceLag[] => [...left].map(([abs, value]) => ({ stream: `file:${abs}`, unit: 'bytes' as const, value })),
    async *records(): AsyncGenerator<SourceRecord> {
      for (const path of o.paths) left.set(resolve(path), statSync(resolve(path)).size);
      for (const path of o.paths) {
        const abs = resolve(path);
        const size = statSync(abs).size;
        const started = Date.now();
        let last = started;
        let n = 0;
        const report = (bytes: number) => {
          left.set(abs, Math.max(0, size - bytes));
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
        })) {
          for (const record of records) {
            n++;
            yield { ...record, checkpoint: { stream, position: String(n) } };
          }
        }
        left.set(abs, 0);
      }
    },
  };
}
