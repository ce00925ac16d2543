/**
 * DDL that needs a lock ingest also takes, run so that ingest never queues behind it for long
 * (migrations/README.md "Index builds that do not block ingest"). PostgreSQL grants locks in queue order:
 * a DDL statement waiting behind one open writer makes every later writer wait behind the DDL. With a
 * short `lock_timeout` the DDL gives up instead, the writers go on, and the step is tried again after a
 * pause that doubles each time — so a long open transaction delays the migration, not ingest.
 */
import type pg from 'pg';
import { AuditqlError, ErrorCode } from '../errors.js';

export interface ShortLockOptions {
  /** How long one attempt may wait for a lock before it gives way (ms). */
  readonly lockTimeoutMs: number;
  /** How long to keep trying before the migration fails, to be resumed by the next run (ms). */
  readonly maxWaitMs: number;
  /** Told of each attempt that gave way. */
  readonly onRetry?: (what: string, attempt: number, nextInMs: number) => void;
}

const LOCK_NOT_AVAILABLE = '55P03';
const MAX_PAUSE_MS = 5_000;

/** Run `attempt` until it does not fail on lock_timeout; `what` names the step in messages. */
export async function retryOnLockTimeout(what: string, o: ShortLockOptions, attempt: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + o.maxWaitMs;
  for (let n = 1, pause = 50; ; n++, pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      await attempt();
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
      if (Date.now() + pause > deadline) {
        throw new AuditqlError(ErrorCode.INTERNAL,
          `${what}: a lock it needs stayed held by another transaction for ${Math.round(o.maxWaitMs / 1000)} s (see pg_locks); run the migration again later`,
          { cause: err });
      }
      o.onRetry?.(what, n, pause);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** One catalog-only statement in its own transaction, under a short lock_timeout, retried (see above). */
export async function shortLockStatement(client: pg.PoolClient, statement: string, o: ShortLockOptions): Promise<void> {
  await retryOnLockTimeout(statement, o, async () => {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs))}`);
      await client.query(statement);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}
