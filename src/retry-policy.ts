/**
 * Waiting out an outage of the warehouse or a source (README "Outages"): which errors are worth retrying,
 * how long to wait between attempts, and for how long in all before giving up.
 */
import { abortableSleep } from './abortable-sleep.js';
import { AuditqlError, ErrorCode } from './errors.js';

/** How long an outage is waited out, counted from its first failure. `Infinity`: for as long as it lasts. */
export interface OutagePolicy {
  readonly limitMs: number;
}

/** Live sources wait for as long as the outage lasts; a finite file ingest gives up after five minutes. */
export const LIVE_OUTAGE: OutagePolicy = Object.freeze({ limitMs: Number.POSITIVE_INFINITY });
export const FINITE_OUTAGE: OutagePolicy = Object.freeze({ limitMs: 5 * 60_000 });

/** `AUDITQL_OUTAGE_LIMIT_S` when set (seconds, or `forever`), else the default for this kind of command. */
export function outagePolicy(limitS: number | null, fallback: OutagePolicy): OutagePolicy {
  return limitS === null ? fallback : Object.freeze({ limitMs: limitS * 1000 });
}

// SQLSTATEs of a server going away or not there yet: admin/crash shutdown (57P01, 57P02), starting up
// (57P03), class 08 (connection exceptions), serialization failure and deadlock (40001, 40P01), too many
// connections (53300). A full disk (53100) is not: it needs an operator, and the command says so.
const TRANSIENT_CODES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '53300']);
// Socket-level errno codes: the server is unreachable, or the connection died under us.
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
// What node-postgres says when a connection dies without an error code.
const TRANSIENT_MESSAGE =
  /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|Client was closed and is not queryable|the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)|terminating connection due to|server closed the connection unexpectedly|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/i;

/** True for errors of a server or connection that went away: retrying later may succeed. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // our own errors (assertReachable's WAREHOUSE_UNAVAILABLE …) are transient when what they wrap is
  if (err instanceof AuditqlError) return err.cause !== undefined && err.cause !== err && isTransient(err.cause);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('08') || TRANSIENT_ERRNO.has(code))) return true;
  // AggregateError (a host that resolves to several addresses, all refusing) and wrapped causes
  if (err instanceof AggregateError && err.errors.some(isTransient)) return true;
  if (err.cause !== undefined && err.cause !== err && isTransient(err.cause)) return true;
  return TRANSIENT_MESSAGE.test(err.message);
}

/** The wait before retry `attempt` (1, 2, …): 250 ms doubling up to 30 s, with full jitter in its upper half. */
export function backoff(attempt: number, opts: { initialMs?: number; maxMs?: number; random?: () => number } = {}): number {
  const cap = Math.min(opts.maxMs ?? 30_000, (opts.initialMs ?? 250) * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(cap / 2 + (cap / 2) * (opts.random ?? Math.random)());
}

export interface WaitOutOptions {
  /** What is being reached, for messages: "the warehouse", "the source". */
  readonly what: string;
  readonly policy: OutagePolicy;
  /** Says once that the outage began and once that it ended. */
  readonly log?: (message: string) => void;
  /** The code of the error thrown when the limit passed (default AUDITQL_WAREHOUSE_UNAVAILABLE). */
  readonly code?: ErrorCode;
  /** Stops waiting: the last error is thrown at once. */
  readonly signal?: AbortSignal;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Run `op`; while it fails with a transient error, wait (backoff) and run it again, until the policy's
 * limit passed since the first failure. Other errors are thrown at once; at the limit, an AuditqlError
 * with one sentence naming what could not be reached and the last error.
 */
export async function waitOut<T>(op: () => Promise<T>, o: WaitOutOptions): Promise<T> {
  let since = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await op();
      if (since) o.log?.(`${o.what} is reachable again after ${seconds(Date.now() - since)}; resuming`);
      return result;
    } catch (err) {
      if (!isTransient(err) || o.signal?.aborted) throw err;
      const now = Date.now();
      if (!since) since = now;
      const reason = oneLine(err);
      // our own errors already say what could not be reached
      const sentence = err instanceof AuditqlError ? reason : `${o.what} is unreachable: ${reason}`;
      if (now - since >= o.policy.limitMs) {
        if (o.policy.limitMs <= 0 && err instanceof AuditqlError) throw err;
        const waited = o.policy.limitMs > 0 ? `; gave up after ${seconds(now - since)} (AUDITQL_OUTAGE_LIMIT_S)` : '';
        throw new AuditqlError(o.code ?? ErrorCode.WAREHOUSE_UNAVAILABLE, sentence + waited, { cause: err });
      }
      if (attempt === 1) {
        const limit = Number.isFinite(o.policy.limitMs) ? `for up to ${seconds(o.policy.limitMs)}` : 'until it is back';
        o.log?.(`${sentence}; retrying with backoff ${limit}`);
      }
      await abortableSleep(Math.min(backoff(attempt), Math.max(0, since + o.policy.limitMs - now)), o.signal);
    }
  }
}

function oneLine(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: unknown[] };
  const message = e.message || (e.errors?.length ? oneLine(e.errors[0]) : String(err));
  const line = message.split('\n')[0]!;
  return e.code && !(err instanceof AuditqlError) && !line.includes(e.code) ? `${line} [${e.code}]` : line;
}

/** `waitOut` bound to its options, for code that takes a retry wrapper (connectWarehouse). */
export const retrying = (o: WaitOutOptions) => <T>(op: () => Promise<T>): Promise<T> => waitOut(op, o);
