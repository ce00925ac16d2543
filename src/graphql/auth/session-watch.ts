/**
 * A subscription outlives no credential (docs/subscriptions.md "Close codes"): a connection authenticated
 * by a JWT is closed when the token expires, one authenticated by an API key soon after the key is revoked
 * (one query every `revocationCheckMs` for all such connections), both with 4419 and a reason saying which.
 * The client reconnects with a fresh credential and `after` = its last cursor, missing nothing.
 */
import type { Authenticator } from '../../auth/authenticator.js';
import type { Logger } from '../../log.js';
import type { AuthContext } from '../auth.js';
import { CloseReason, SubscriptionCloseCode } from '../subscriptions/close-codes.js';

type End = (code: number, reason: string) => void;

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SessionWatch {
  watch(who: AuthContext, end: End): () => void;
  close(): void;
}

export function sessionWatch(a: Authenticator, o: { revocationCheckMs: number; log: Logger }): SessionWatch {
  const byKey = new Map<string, Set<End>>();
  let timer: NodeJS.Timeout | null = null;
  let checking = false;

  const check = async () => {
    if (checking || byKey.size === 0) return;
    checking = true;
    try {
      for (const id of await a.revoked([...byKey.keys()])) {
        for (const end of byKey.get(id) ?? []) end(SubscriptionCloseCode.CredentialsEnded, CloseReason.KeyRevoked);
        byKey.delete(id);
      }
    } catch (err) {
      o.log.warn(`api key revocation check failed (retried): ${(err as Error).message}`);
    } finally {
      checking = false;
    }
  };
  const ensurePolling = () => {
    if (timer || byKey.size === 0) return;
    timer = setInterval(() => void check(), o.revocationCheckMs);
    timer.unref();
  };

  return {
    watch(who, end) {
      let expiry: NodeJS.Timeout | null = null;
      const arm = () => {
        if (who.expiresAtMs == null) return;
        const left = who.expiresAtMs - Date.now();
        if (left <= 0) return end(SubscriptionCloseCode.CredentialsEnded, CloseReason.TokenExpired);
        expiry = setTimeout(left > MAX_TIMER_MS ? arm : () => end(SubscriptionCloseCode.CredentialsEnded, CloseReason.TokenExpired), Math.min(left, MAX_TIMER_MS));
        expiry.unref();
      };
      arm();
      const keyId = who.keyId;
      if (keyId) {
        let set = byKey.get(keyId);
        if (!set) byKey.set(keyId, (set = new Set()));
        set.add(end);
        ensurePolling();
      }
      return () => {
        if (expiry) clearTimeout(expiry);
        if (keyId) {
          const set = byKey.get(keyId);
          set?.delete(end);
          if (set?.size === 0) byKey.delete(keyId);
        }
        if (byKey.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
    close() {
      if (timer) clearInterval(timer);
      timer = null;
      byKey.clear();
    },
  };
}
