/**
 * The encrypted Maxwell fixtures are exactly what test/fixtures/maxwell/make-encrypted.mjs writes, so they
 * can be regenerated (`node test/fixtures/maxwell/make-encrypted.mjs`) and nobody hand-edits ciphertext.
 */
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/fixtures.js';
// @ts-expect-error -- a plain .mjs script, no type declarations
import { ENCRYPTED_FIXTURES, KEY_128, encrypt, fileText } from '../fixtures/maxwell/make-encrypted.mjs';

const fixtures = ENCRYPTED_FIXTURES as Record<string, string[]>;

describe('encrypted Maxwell fixtures', () => {
  for (const [name, lines] of Object.entries(fixtures)) {
    it(`${name} is what make-encrypted.mjs writes`, () => {
      expect(readFileSync(join(FIXTURES, 'maxwell', name), 'utf8')).toBe((fileText as (l: string[]) => string)(lines));
    });
  }

  it('the generator round-trips with node:crypto', () => {
    const iv = Buffer.alloc(16, 1);
    const sealed = JSON.parse((encrypt as (p: string, k: string, iv: Buffer) => string)('{"data":{"a":1}}', KEY_128, iv)) as {
      iv: string;
      bytes: string;
    };
    expect(sealed.iv).toBe(iv.toString('base64'));
    const d = createDecipheriv('aes-128-cbc', Buffer.from(KEY_128 as string), iv);
    expect(Buffer.concat([d.update(Buffer.from(sealed.bytes, 'base64')), d.final()]).toString('utf8')).toBe('{"data":{"a":1}}');
  });
});
