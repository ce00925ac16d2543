/**
 * Authentication on HTTP `/graphql` (docs/security.md): a browser Origin that is neither this one nor listed
 * is refused (403 AUDITQL_FORBIDDEN); otherwise `Authorization: Bearer …` goes through the authenticator and
 * its `Principal` is left in `res.locals` for the GraphQL context; a refusal is answered here, GraphQL shaped:
 * 401 AUDITQL_UNAUTHENTICATED (with `WWW-Authenticate: Bearer`) or 403 AUDITQL_FORBIDDEN, with a stable
 * `extensions.reason`.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Authenticator } from '../../auth/authenticator.js';
import { AuthRefusal, type Principal } from '../../auth/principal.js';
import { ErrorCode } from '../../errors.js';
import { allowsRequest, type OriginPolicy } from './origin-policy.js';

/** Called for every refusal (the access audit records them). */
export type OnRefusal = (req: Request, refusal: AuthRefusal) => void;

export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

export function refusalBody(r: AuthRefusal) {
  return { errors: [{ message: r.message, extensions: { code: r.code, reason: r.reason } }] };
}

export function httpAuthentication(a: Authenticator, origins: OriginPolicy, onRefusal: OnRefusal = () => {}): RequestHandler {
  return (req, res, next) => {
    const refuse = (r: AuthRefusal) => {
      onRefusal(req, r);
      if (r.httpStatus === 401) res.set('WWW-Authenticate', `Bearer realm="auditql", error="invalid_token"`);
      res.status(r.httpStatus).json(refusalBody(r));
    };
    if (!allowsRequest(origins, req)) {
      refuse(new AuthRefusal('bad_origin', `requests from ${req.headers.origin} are not allowed (AUDITQL_ALLOWED_ORIGINS)`, ErrorCode.FORBIDDEN));
      return;
    }
    a.authenticate(req.headers.authorization).then(
      (p) => {
        res.locals.principal = p;
        next();
      },
      (err: unknown) => (err instanceof AuthRefusal ? refuse(err) : next(err)),
    );
  };
}
