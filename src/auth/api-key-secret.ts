/**
 * API keys as strings (docs/security.md "API keys"): `aqk_<key id>_<secret>`. The key id is public (it finds
 * the stored row); only a scrypt hash of the secret is stored, `scrypt$N$r$p$<salt>$<hash>` in base64url.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PREFIX = 'aqk_';
const KEY = /^aqk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** scrypt cost: N = 2^15 (~32 MiB, some tens of ms) — slow for a guesser, paid once per key per process. */
const PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const HASH_BYTES = 32;

export interface NewApiKey {
  readonly keyId: string;
  /** The whole key, shown once. */
  readonly key: string;
  readonly secretHash: string;
}

function scryptAsync(secret: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, HASH_BYTES, o, (err, out) => (err ? reject(err) : resolve(out))));
}

/** The key id and secret of a well-formed key, else null. */
export function parseApiKey(key: string): { readonly keyId: string; readonly secret: string } | null {
  const m = KEY.exec(key);
  return m ? { keyId: m[1]!, secret: m[2]! } : null;
}

export const looksLikeApiKey = (token: string): boolean => token.startsWith(PREFIX);

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const N = Number(n), R = Number(r), P = Number(p);
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), { N, r: R, p: P, maxmem: 128 * N * R * 2 + 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export async function newApiKey(): Promise<NewApiKey> {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, key: `${PREFIX}${keyId}_${secret}`, secretHash: await hashSecret(secret) };
}
