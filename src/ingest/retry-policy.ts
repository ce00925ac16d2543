/**
 * Which warehouse errors are an outage to wait out, and how long to wait between attempts
 * (docs/configuration.md "Outages"). Everything else is either a data error (isolated, store-batch.ts) or
 * permanent (the write fails).
 */

/** SQLSTATEs of a server going away, restarting, or refusing for a moment. */
const TRANSIENT_SQLSTATE = new Set([
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '40001', '40P01', // serialization failure, deadlock detected
  '53300', // too_many_connections
]);

const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

const TRANSIENT_MESSAGE = /Connection terminated|connection timeout|the database system is (starting up|shutting down|in recovery mode)|Client has encountered a connection error|timeout exceeded when trying to connect/i;

export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (TRANSIENT_SQLSTATE.has(code) || TRANSIENT_ERRNO.has(code))) return true;
  return TRANSIENT_MESSAGE.test(String((err as Error | null)?.message ?? err));
}

/** Capped exponential backoff with full jitter: 250 ms, 500 ms … up to 30 s. */
export function backoffMs(attempt: number): number {
  const cap = Math.min(30_000, 250 * 2 ** Math.min(attempt - 1, 10));
  return cap / 2 + Math.random() * (cap / 2);
}
