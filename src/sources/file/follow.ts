/**
 * A growing file as a stream of chunks, like `tail -F`: everything from the start, then what is appended,
 * until the signal aborts. The wait at the end of the file is on a filesystem event (fs.watch on the
 * file's directory, so a file created or replaced under the same name is seen too), never on a timer.
 * A file that shrank (truncated) or was replaced (another inode) is read again from its start: a log
 * rotated to the same name loses nothing, and what it repeats is deduplicated by content position.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

const CHUNK = 1 << 20;

/** Set by every event on the file; `wait` resolves at the next one (or at once when one came meanwhile). */
class ChangeFlag {
  private changed = false;
  private wake: (() => void) | null = null;
  set(): void {
    this.changed = true;
    this.wake?.();
  }
  /** Clear, before reading to the end: an event during the read makes the next `wait` return at once. */
  clear(): void {
    this.changed = false;
  }
  wait(signal: AbortSignal): Promise<void> {
    if (this.changed || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.wake = null;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

async function openIfThere(path: string): Promise<{ fh: FileHandle; ino: number } | null> {
  try {
    const fh = await open(path, 'r');
    return { fh, ino: (await fh.stat()).ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Chunks of `path` from its start, then as it grows, until `signal` aborts (then the generator returns). */
export async function* followFile(path: string, signal: AbortSignal): AsyncGenerator<Buffer> {
  const flag = new ChangeFlag();
  const name = basename(path);
  let watcher: FSWatcher | null = null;
  let watchError: Error | null = null;
  watcher = watch(dirname(path), (_event, file) => {
    if (file === null || file === name) flag.set();
  });
  watcher.on('error', (err) => {
    watchError = err;
    flag.set();
  });
  let cur = await openIfThere(path);
  let pos = 0;
  try {
    while (!signal.aborted) {
      flag.clear();
      if (cur) {
        for (;;) {
          const buf = Buffer.allocUnsafe(CHUNK);
          const { bytesRead } = await cur.fh.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          yield buf.subarray(0, bytesRead);
          if (signal.aborted) return;
        }
      }
      // At the end: is the name still this file, and no shorter than what was read?
      const now = await stat(path).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return null; throw err; });
      if (now && (!cur || now.ino !== cur.ino || now.size < pos)) {
        await cur?.fh.close();
        cur = await openIfThere(path);
        pos = 0;
        continue;
      }
      await flag.wait(signal);
      if (watchError) throw watchError;
    }
  } finally {
    watcher.close();
    await cur?.fh.close();
  }
}
