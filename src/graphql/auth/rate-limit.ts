/**
 * Per-principal rate limits (docs/security.md "Per-role limits"): a token bucket per caller, in this
 * process, refilled at the role's `perSecond` up to its `burst`. Each HTTP request and each graphql-ws
 * `subscribe` takes one token; with none left the call is refused (HTTP 429, AUDITQL_RATE_LIMITED) and
 * told when the next token comes. Several API processes each keep their own buckets: behind a load
 * balancer the limit a caller sees is per process.
 */
import type { RateLimit } from '../../policy/policy.js';

export interface RateLimiter {
  /** Take a token for `caller`: null when allowed, else the seconds until the next token. */
  take(caller: string, limit: RateLimit): number | null;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets idle long enough to be full again are forgotten once this many callers are tracked. */
const PRUNE_AT = 10_000;

export function rateLimiter(now: () => number = () => performance.now()): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const prune = (t: number, limit: RateLimit) => {
    for (const [k, b] of buckets) if (b.tokens + ((t - b.at) / 1000) * limit.perSecond >= limit.burst) buckets.delete(k);
  };
  return {
    take(caller, limit) {
      const t = now();
      let b = buckets.get(caller);
      if (!b) {
        if (buckets.size >= PRUNE_AT) prune(t, limit);
        buckets.set(caller, (b = { tokens: limit.burst, at: t }));
      }
      b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return null;
      }
      return (1 - b.tokens) / limit.perSecond;
    },
  };
}

/** Who a bucket is for: the principal, or the client's address when authentication is off. */
export const callerKey = (kind: string | undefined, principal: string | null, clientAddress: string | null): string =>
  principal !== null ? `${kind ?? 'none'}:${principal}` : `address:${clientAddress ?? '?'}`;
