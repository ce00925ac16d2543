/**
 * Recording API operations off the request path (docs/security.md "Access audit"): `record` only queues;
 * a batch is written when `maxBatch` entries wait or `flushMs` after the first, one INSERT per batch, one
 * batch at a time. The queue is bounded: when the warehouse cannot keep up and `maxQueue` entries wait, new
 * entries are dropped and counted (`dropped`, and a warning) rather than slow every request. `close`
 * writes what is queued. A crash loses at most what is queued and the batch in flight.
 */
import type { Kysely } from 'kysely';
import type { Warehouse } from '../../warehouse/tables.js';
import { insertApiAccess, type ApiAccessEntry } from '../../warehouse/queries/api-access.js';
import type { Logger } from '../../log.js';

export interface AccessRecorder {
  record(e: ApiAccessEntry): void;
  /** Entries dropped because the queue was full. */
  readonly dropped: number;
  /** Write everything queued so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AccessRecorderOptions {
  readonly db: Kysely<Warehouse>;
  readonly log: Logger;
  readonly maxBatch?: number;
  readonly flushMs?: number;
  readonly maxQueue?: number;
}

export function createAccessRecorder(o: AccessRecorderOptions): AccessRecorder {
  const maxBatch = o.maxBatch ?? 200;
  const flushMs = o.flushMs ?? 250;
  const maxQueue = o.maxQueue ?? 10_000;
  const queue: ApiAccessEntry[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  const writeQueued = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    writing = writing.then(async () => {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await insertApiAccess(o.db, batch);
        } catch (err) {
          o.log.error(`access audit: ${batch.length} record(s) not written: ${(err as Error).message}`);
        }
      }
    });
    return writing;
  };

  return {
    record(e) {
      if (queue.length >= maxQueue) {
        if (dropped++ === 0) o.log.warn(`access audit: the queue is full (${maxQueue}); records are being dropped`);
        return;
      }
      queue.push(e);
      if (queue.length >= maxBatch) void writeQueued();
      else timer ??= setTimeout(() => void writeQueued(), flushMs);
    },
    get dropped() {
      return dropped;
    },
    flush: writeQueued,
    close: writeQueued,
  };
}
