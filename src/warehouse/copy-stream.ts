/**
 * Streams rows into a `COPY … FROM STDIN` (text format, copy-text.ts) in writes of about 1 MiB, waiting
 * for the socket to drain, so a 5,000-row batch of 1.3 KB rows never sits in memory twice.
 */
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const CHUNK = 1 << 20;

/** COPY `n` rows; `row(i)` returns row i as one COPY text line (copyRow). Rejects with the server's error. */
export async function copyRows(client: pg.PoolClient, sql: string, n: number, row: (i: number) => string): Promise<void> {
  const stream = client.query(copyFrom(sql));
  // pg-copy-streams emits the server's error (e.g. a unique violation) while we may still be writing, and
  // drops its connection then: writing on would throw a TypeError instead of the server's error. So
  // remember it, stop writing, and reject with it.
  let failure: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.on('error', (err: Error) => { failure ??= err; reject(failure); }); // 'on': a dying connection may emit twice
  });
  done.catch(() => {}); // awaited below; observed here so a failure while we still write is not unhandled
  let chunk = '';
  for (let i = 0; i < n; i++) {
    chunk += row(i);
    if (chunk.length > CHUNK) {
      if (failure) break;
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
  }
  if (!failure) stream.end(chunk);
  await done;
}
