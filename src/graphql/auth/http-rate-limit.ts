/**
 * The per-principal rate limit on HTTP `/graphql` (rate-limit.ts), after authentication: over its role's
 * `rateLimit`, a request is answered 429 AUDITQL_RATE_LIMITED with `Retry-After`, GraphQL shaped, and
 * recorded in the access audit as a refusal (`rate_limited`).
 */
import type { RequestHandler } from 'express';
import { ErrorCode } from '../../errors.js';
import type { Policy } from '../../policy/policy.js';
import { refusalEntry } from '../access/access-entry.js';
import type { AccessRecorder } from '../access/access-recorder.js';
import { authContextOf } from '../auth.js';
import { principalOf } from './http-auth.js';
import { callerKey, type RateLimiter } from './rate-limit.js';

export function httpRateLimit(rates: RateLimiter, policy: Policy, access: AccessRecorder | null): RequestHandler {
  return (req, res, next) => {
    const p = principalOf(res);
    const limit = p ? policy.roles.get(p.role)?.limits.rateLimit : undefined;
    if (!p || !limit) return next();
    const address = req.socket.remoteAddress ?? null;
    const wait = rates.take(callerKey(p.kind, p.principal, address), limit);
    if (wait === null) return next();
    access?.record(refusalEntry('http', address, 'rate_limited', authContextOf(p)));
    res.set('Retry-After', String(Math.max(1, Math.ceil(wait))));
    res.status(429).json({
      errors: [{ message: `too many requests: the role ${JSON.stringify(p.role)} allows ${limit.perSecond} a second (burst ${limit.burst})`, extensions: { code: ErrorCode.RATE_LIMITED } }],
    });
  };
}
