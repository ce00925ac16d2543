/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and the key encodings Go's
 * golang.org/x/mod/sumdb/note uses, so its tools and witnesses read our keys and notes as they are:
 *   verifier key  <name>+<key id, 8 hex digits>+<base64(0x01 ‖ 32-byte public key)>
 *   signer key    PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ 32-byte seed)>
 *   key id        SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]
 *   signature     — <name> <base64(key id ‖ Ed25519 signature of the note text)>
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

const ED25519 = 0x01;
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface Verifier {
  readonly name: string;
  /** 4 bytes. */
  readonly keyId: Buffer;
  readonly publicKey: Buffer;
  readonly key: KeyObject;
}

export interface Signer extends Verifier {
  readonly privateKey: KeyObject;
}

const validName = (name: string): boolean => name.length > 0 && !/[\s+]/u.test(name);

export function keyId(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256').update(name).update(Buffer.from([0x0a, ED25519])).update(publicKey).digest().subarray(0, 4);
}

export function verifierFromRaw(name: string, publicKey: Buffer): Verifier {
  if (!validName(name)) throw new Error(`key name ${JSON.stringify(name)} is empty or has a space or a '+'`);
  if (publicKey.length !== 32) throw new Error('an Ed25519 public key has 32 bytes');
  return { name, keyId: keyId(name, publicKey), publicKey, key: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }) };
}

function signerFromSeed(name: string, seed: Buffer): Signer {
  if (seed.length !== 32) throw new Error('an Ed25519 private key has 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { ...verifierFromRaw(name, Buffer.from(jwk.x!, 'base64url')), privateKey };
}

export function generateSigner(name: string): Signer {
  const { privateKey } = generateKeyPairSync('ed25519');
  const d = privateKey.export({ format: 'jwk' }).d!;
  return signerFromSeed(name, Buffer.from(d, 'base64url'));
}

const seedOf = (s: Signer): Buffer => Buffer.from(s.privateKey.export({ format: 'jwk' }).d!, 'base64url');

export const encodeVerifierKey = (v: Verifier): string =>
  `${v.name}+${v.keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), v.publicKey]).toString('base64')}`;
export const encodeSignerKey = (s: Signer): string =>
  `PRIVATE+KEY+${s.name}+${s.keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), seedOf(s)]).toString('base64')}`;

/** `parts` fields separated by '+'; the last (base64) may itself contain '+'. */
function splitKey(text: string, parts: number): string[] {
  const f = text.trim().split('+');
  if (f.length < parts) throw new Error('not a signed-note key');
  return [...f.slice(0, parts - 1), f.slice(parts - 1).join('+')];
}

function keyBytes(b64: string): Buffer {
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519) throw new Error('not an Ed25519 signed-note key');
  return raw.subarray(1);
}

export function parseVerifierKey(text: string): Verifier {
  const [name, id, b64] = splitKey(text, 3) as [string, string, string];
  const v = verifierFromRaw(name, keyBytes(b64));
  if (v.keyId.toString('hex') !== id.toLowerCase()) throw new Error('the key id does not match the key');
  return v;
}

export function parseSignerKey(text: string): Signer {
  const [p, k, name, id, b64] = splitKey(text, 5) as [string, string, string, string, string];
  if (p !== 'PRIVATE' || k !== 'KEY') throw new Error('not a signed-note private key');
  const s = signerFromSeed(name, keyBytes(b64));
  if (s.keyId.toString('hex') !== id.toLowerCase()) throw new Error('the key id does not match the key');
  return s;
}

/** The note text (ending in a newline) signed by `s`. */
export function signNote(text: string, s: Signer): string {
  if (!text.endsWith('\n')) throw new Error('a note text ends in a newline');
  const sig = sign(null, Buffer.from(text, 'utf8'), s.privateKey);
  return `${text}\n— ${s.name} ${Buffer.concat([s.keyId, sig]).toString('base64')}\n`;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: Buffer;
  readonly signature: Buffer;
}

export interface ParsedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export function parseNote(note: string): ParsedNote {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) throw new Error('not a signed note: no blank line before the signatures');
  const text = note.slice(0, cut + 1);
  const signatures = note.slice(cut + 2, -1).split('\n').map((line) => {
    const m = /^— (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!m) throw new Error('not a signed note: a malformed signature line');
    const raw = Buffer.from(m[2]!, 'base64');
    if (raw.length < 5) throw new Error('not a signed note: a signature too short');
    return { name: m[1]!, keyId: raw.subarray(0, 4), signature: raw.subarray(4) };
  });
  return { text, signatures };
}

export type NoteCheck =
  | { readonly ok: true; readonly text: string; readonly by: Verifier }
  | { readonly ok: false; readonly reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE'; readonly detail: string };

/**
 * Verify a note against trusted keys (signed-note: signatures by unknown keys are ignored; the note is
 * accepted when a known key's signature verifies and none fails).
 */
export function verifyNote(note: string, trusted: readonly Verifier[]): NoteCheck {
  let parsed: ParsedNote;
  try {
    parsed = parseNote(note);
  } catch (err) {
    return { ok: false, reason: 'MALFORMED', detail: (err as Error).message };
  }
  let by: Verifier | null = null;
  for (const s of parsed.signatures) {
    const v = trusted.find((k) => k.name === s.name && k.keyId.equals(s.keyId));
    if (!v) continue;
    if (!verify(null, Buffer.from(parsed.text, 'utf8'), v.key, s.signature)) {
      return { ok: false, reason: 'BAD_SIGNATURE', detail: `the signature of ${v.name}+${v.keyId.toString('hex')} does not verify` };
    }
    by = v;
  }
  if (!by) {
    const names = parsed.signatures.map((s) => `${s.name}+${s.keyId.toString('hex')}`).join(', ');
    return { ok: false, reason: 'UNKNOWN_KEY', detail: `signed only by keys not trusted here (${names})` };
  }
  return { ok: true, text: parsed.text, by };
}
