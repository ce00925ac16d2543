/**
 * The encrypted Maxwell fixtures (test/fixtures/maxwell/encrypt-*.jsonl), made here with node:crypto the way
 * Maxwell makes them (docs/docs/encryption.md; row/RowEncrypt.java, row/DataJsonGenerator.java):
 * AES/CBC/PKCS5Padding, key = the UTF-8 bytes of `secret_key`, a 16-byte IV (random in Maxwell, fixed here
 * so the files are reproducible), ciphertext and IV base64 in `"encrypted":{"iv","bytes"}`.
 * - encrypt=data: the plaintext is `{"data":{...}[,"old":{...}]}` and replaces `data`/`old`, last field;
 * - encrypt=all: the plaintext is the whole message; the record is `{"encrypted":{...}}`.
 *
 * This test fails if a fixture file differs from what these plaintexts encrypt to. To regenerate
 * (after editing a plaintext below):
 *   MAXWELL_WRITE_FIXTURES=1 npx vitest run test/unit/maxwell-encrypted-fixtures.test.ts
 * (A script in test/fixtures/maxwell/ would itself be read as a fixture case by fixtureCases().)
 * The expected events in `encrypt-*.expected.json` are written by hand from the plaintexts.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/fixtures.js';

/** The keys the fixtures' `.expected.json` contexts name (16 bytes → AES-128, 32 bytes → AES-256). */
const KEY_128 = 'auditql-test-key';
const KEY_256 = 'auditql-test-key-for-aes-256-cbc';
const WRONG_KEY = 'not-the-real-key';

const iv = (first: number) => Buffer.from(Array.from({ length: 16 }, (_, i) => first + i));

function encrypt(plaintext: string, key: string, ivBytes: Buffer): string {
  const algorithm = `aes-${Buffer.byteLength(key) * 8}-cbc`;
  const cipher = createCipheriv(algorithm, Buffer.from(key, 'utf8'), ivBytes);
  const bytes = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
  return JSON.stringify({ iv: ivBytes.toString('base64'), bytes });
}

/** encrypt=data: outer fields (JSON text without the closing brace's content) + the encrypted data/old. */
const dataMode = (outer: string, plaintext: string, key: string, ivBytes: Buffer) =>
  `{${outer},"encrypted":${encrypt(plaintext, key, ivBytes)}}`;
const allMode = (plaintext: string, key: string, ivBytes: Buffer) => `{"encrypted":${encrypt(plaintext, key, ivBytes)}}`;

const ENCRYPTED_FIXTURES: Record<string, string[]> = {
  // context maxwellKey = KEY_128
  'encrypt-data.jsonl': [
    dataMode(
      '"database":"shard_1","table":"minimal","type":"insert","ts":1504585129,"xid":161,"commit":true',
      '{"data":{"id":1,"account_id":1,"text_field":"hello"}}',
      KEY_128,
      iv(0x00),
    ),
    dataMode(
      '"database":"shard_1","table":"minimal","type":"update","ts":1504585200,"xid":162,"commit":true,"primary_key_columns":["id"]',
      '{"data":{"id":1,"account_id":1,"text_field":"hello, world"},"old":{"text_field":"hello"}}',
      KEY_128,
      iv(0x10),
    ),
  ],
  // context maxwellKey = KEY_256
  'encrypt-all.jsonl': [
    allMode(
      '{"database":"ledger","table":"balances","type":"insert","ts":1504585129,"xid":170,"commit":true,"primary_key_columns":["account_no"],"data":{"account_no":7,"balance":98765432109876543210.000000000000000000000000000001,"owner":"Zoë"}}',
      KEY_256,
      iv(0x20),
    ),
    allMode(
      '{"database":"ledger","table":"balances","type":"delete","ts":1504585200,"xid":171,"commit":true,"primary_key_columns":["account_no"],"data":{"account_no":8,"balance":0.00,"owner":"Yves"}}',
      KEY_256,
      iv(0x30),
    ),
  ],
  // no key in the context: both dead-lettered AUDITQL_DECRYPTION_KEY_MISSING
  'encrypt-no-key.jsonl': [
    dataMode(
      '"database":"shard_1","table":"minimal","type":"insert","ts":1504585300,"xid":163,"commit":true',
      '{"data":{"id":2,"account_id":1,"text_field":"secret"}}',
      KEY_128,
      iv(0x40),
    ),
    allMode(
      '{"database":"shard_1","table":"minimal","type":"insert","ts":1504585301,"xid":164,"commit":true,"data":{"id":3,"account_id":1,"text_field":"secret"}}',
      KEY_256,
      iv(0x50),
    ),
  ],
  // context maxwellKey = WRONG_KEY: all dead-lettered AUDITQL_DECRYPTION_FAILED
  'encrypt-wrong-key.jsonl': [
    dataMode(
      '"database":"shard_1","table":"minimal","type":"insert","ts":1504585400,"xid":165,"commit":true',
      '{"data":{"id":4,"account_id":1,"text_field":"secret"}}',
      KEY_128,
      iv(0x60),
    ),
    allMode(
      '{"database":"shard_1","table":"minimal","type":"insert","ts":1504585401,"xid":166,"commit":true,"data":{"id":5,"account_id":1,"text_field":"secret"}}',
      KEY_256,
      iv(0x70),
    ),
    // corrupt: the ciphertext is not base64
    '{"database":"shard_1","table":"minimal","type":"insert","ts":1504585402,"xid":167,"commit":true,"encrypted":{"iv":"gIGCg4SFhoeIiYqLjI2Ojw==","bytes":"not*base64"}}',
  ],
};

const fileText = (lines: string[]) => lines.join('\n') + '\n';

describe('encrypted Maxwell fixtures', () => {
  for (const [name, lines] of Object.entries(ENCRYPTED_FIXTURES)) {
    it(`${name} is what its plaintexts encrypt to`, () => {
      const path = join(FIXTURES, 'maxwell', name);
      if (process.env['MAXWELL_WRITE_FIXTURES'] === '1') writeFileSync(path, fileText(lines));
      expect(readFileSync(path, 'utf8')).toBe(fileText(lines));
    });
  }

  it('round-trips with node:crypto (the generator itself is sound)', () => {
    const sealed = JSON.parse(encrypt('{"data":{"a":1}}', KEY_128, iv(0))) as { iv: string; bytes: string };
    const d = createDecipheriv('aes-128-cbc', Buffer.from(KEY_128), Buffer.from(sealed.iv, 'base64'));
    expect(Buffer.concat([d.update(Buffer.from(sealed.bytes, 'base64')), d.final()]).toString('utf8')).toBe('{"data":{"a":1}}');
  });
});
