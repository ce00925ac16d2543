/**
 * Rotated JSON-lines files in a directory, for log shippers (docs/siem.md "Files"): `<name>-<UTC time>.jsonl`,
 * a new file once the current one passes `maxBytes`. A batch is acknowledged once written and fsynced.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Destination } from './destination.js';

export interface FileOptions {
  readonly dir: string;
  readonly name: string;
  /** Rotate past this size (default 100 MiB). */
  readonly maxBytes?: number;
}

export function rotatedFile(o: FileOptions): Destination {
  let file: FileHandle | null = null;
  let size = 0;
  let n = 0;
  const max = o.maxBytes ?? 100 * 1024 * 1024;
  async function current(): Promise<FileHandle> {
    if (file && size < max) return file;
    await file?.close();
    await mkdir(o.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    file = await open(join(o.dir, `${o.name}-${stamp}-${process.pid}-${++n}.jsonl`), 'a');
    size = 0;
    return file;
  }
  return {
    description: `file ${o.dir}`,
    async send(batch) {
      const f = await current();
      const text = batch.map((e) => JSON.stringify(e.body)).join('\n') + '\n';
      await f.write(text);
      await f.sync();
      size += Buffer.byteLength(text);
    },
    async close() {
      await file?.close();
      file = null;
    },
  };
}
