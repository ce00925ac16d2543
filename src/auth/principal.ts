/** Who a caller is once authenticated (docs/security.md), and why a caller was refused. */
import { AuditqlError, ErrorCode } from '../errors.js';

export type AuthKind = 'jwt' | 'api-key' | 'none';

export interface Principal {
  readonly kind: AuthKind;
  /** `sub` (or the configured claim) of a JWT, the name of an API key; null when authentication is off. */
  readonly principal: string | null;
  readonly role: string;
  /** When the credential stops being valid (a JWT's `exp`); null: until revoked. */
  readonly expiresAt: Date | null;
  /** The API key's id, to notice its revocation. */
  readonly keyId: string | null;
}

/**
 * Why a credential was refused: stable, in `extensions.reason` and in close reasons. Safe to tell the
 * caller (RFC 6750 `error_description` tells as much); never a claim value or key material.
 */
export type RefusalReason =
  | 'missing' | 'malformed' | 'expired' | 'not_yet_valid' | 'bad_issuer' | 'bad_audience' | 'bad_claims'
  | 'bad_signature' | 'alg_not_allowed' | 'unknown_key' | 'jwks_unavailable' | 'unknown_api_key' | 'revoked' | 'no_role'
  | 'bad_origin';

export class AuthRefusal extends AuditqlError {
  constructor(readonly reason: RefusalReason, message: string, code: typeof ErrorCode.UNAUTHENTICATED | typeof ErrorCode.FORBIDDEN = ErrorCode.UNAUTHENTICATED) {
    super(code, message);
    this.name = 'AuthRefusal';
  }

  get httpStatus(): number {
    return this.code === ErrorCode.FORBIDDEN ? 403 : 401;
  }
}

export const unauthenticated = (reason: RefusalReason, message: string) => new AuthRefusal(reason, message);
