/**
 * Which browser origins may call the API (docs/security.md "Browsers"): the page's own origin always, the
 * listed ones (`AUDITQL_ALLOWED_ORIGINS`) too; no wildcard. It drives CORS on HTTP and refuses WebSocket
 * upgrades from other origins (a web page an analyst happens to visit must not open a subscription).
 * A request with no `Origin` is not from a browser page and is left to authentication.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

export interface OriginPolicy {
  /** May a request with this Origin (and Host) act? */
  allows(origin: string | undefined, host: string | undefined): boolean;
  /** Is it a listed (cross-origin) one, which CORS answers for? */
  listed(origin: string): boolean;
}

export function originPolicy(allowed: readonly string[]): OriginPolicy {
  const list = new Set(allowed);
  return {
    listed: (origin) => list.has(origin),
    allows(origin, host) {
      if (origin === undefined) return true;
      if (list.has(origin)) return true;
      if (!host) return false;
      // Same origin: the same host and port (the scheme may differ behind a TLS-terminating proxy).
      try {
        return new URL(origin).host === host.toLowerCase();
      } catch {
        return false;
      }
    },
  };
}

export const allowsRequest = (policy: OriginPolicy, req: IncomingMessage): boolean => policy.allows(req.headers.origin, req.headers.host);

const ALLOW_HEADERS = 'authorization, content-type, accept, apollo-require-preflight, x-apollo-operation-name';

/**
 * CORS for listed origins only: preflights answered (204), credentials allowed, the origin echoed (never
 * `*`); a preflight from another origin gets 403 and no CORS headers, so the browser blocks the call.
 */
export function corsMiddleware(policy: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    res.vary('Origin');
    const listed = policy.listed(origin);
    if (listed) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (!listed) return void res.status(403).end();
      res.set({
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOW_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      return void res.status(204).end();
    }
    next();
  };
}
