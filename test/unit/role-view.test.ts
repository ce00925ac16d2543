/** Role views (src/policy/): globs, mask methods, statement digests — pure. */
import { describe, expect, it } from 'vitest';
import { globSet } from '../../src/policy/glob.js';
import { statementDigest, errorDigest } from '../../src/policy/statement-digest.js';
import { ABSENT, maskValue } from '../../src/policy/mask-value.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { roleView } from '../../src/policy/role-view.js';

const KEY = Buffer.alloc(32, 7);
const customers = { database: 'shop', schema: 'public', table: 'customers' };

describe('globs', () => {
  it('* stays in a part, ** crosses parts, ! excludes', () => {
    const g = globSet(['shop.public.*', '!shop.public.payroll', 'crm.**']);
    expect(g.matches('shop.public.customers')).toBe(true);
    expect(g.matches('shop.public.payroll')).toBe(false);
    expect(g.matches('shop.other.customers')).toBe(false);
    expect(g.matches('shop.public.a.b')).toBe(false);
    expect(g.matches('crm.x.y')).toBe(true);
    expect(g.all).toBe(false);
    expect(globSet(['**']).all).toBe(true);
    expect(globSet(['**', '!a.b.c']).all).toBe(false);
  });

  it('treats regex characters literally', () => {
    expect(globSet(['shop.public.a+b']).matches('shop.public.aab')).toBe(false);
    expect(globSet(['shop..orders']).matches('shop..orders')).toBe(true);
  });
});

describe('statement digests', () => {
  it.each([
    ["UPDATE customers SET email = 'alice@example.com' WHERE id = 1001", 'UPDATE customers SET email = ? WHERE id = ?'],
    ["select * from t1 where a = E'it\\'s' and b = $1 and c = 1.5e3", 'select * from t1 where a = ? and b = $1 and c = ?'],
    ["insert into x values ($$secret$$, $tag$more$tag$, 0xFF, -3)", 'insert into x values (?, ?, ?, -?)'],
    ['select "name" from `users` /* alice@example.com */ -- 42\nwhere x = \'a\'\'b\'', 'select ? from `users` \nwhere x = ?'],
    ["select 'unterminated alice@example.com", 'select ?'],
  ])('%s', (text, digest) => {
    expect(statementDigest(text)).toBe(digest);
  });

  it('hides the values of a PostgreSQL key detail', () => {
    expect(errorDigest('Key (email)=(alice@example.com) already exists.')).toBe('Key (email)=(?) already exists.');
  });
});

describe('mask values', () => {
  it('marks what it masks', () => {
    expect(maskValue('redact', 'x', null)).toEqual({ $masked: 'redact' });
    expect(maskValue('redact', null, null)).toEqual({ $masked: 'redact' });
    expect(maskValue('partial', '4111111111111111', null)).toEqual({ $masked: 'partial', value: '************1111' });
    expect(maskValue('partial', 'short', null)).toEqual({ $masked: 'partial', value: '*****' });
    expect(maskValue('partial', 42, null)).toEqual({ $masked: 'partial' });
    expect(maskValue('null', 'x', null)).toBeNull();
    expect(maskValue('absent', 'x', null)).toBe(ABSENT);
  });

  it('hashes equal values equally, different values differently, under the key only', () => {
    const a = maskValue('hash', 'alice@example.com', KEY) as { hmac: string };
    expect(a).toEqual({ $masked: 'hash', hmac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(maskValue('hash', 'alice@example.com', KEY)).toEqual(a);
    expect(maskValue('hash', 'bob@example.com', KEY)).not.toEqual(a);
    expect(maskValue('hash', 'alice@example.com', Buffer.alloc(32, 8))).not.toEqual(a);
  });
});

describe('role views', () => {
  const policy = parsePolicy({
    roles: {
      support: {
        tables: ['shop.public.*', '!shop.public.payroll'],
        mask: [{ columns: ['**.email'], with: 'hash' }, { columns: ['shop.public.customers.ssn'], with: 'absent' }],
        privacyByDefault: true,
        statements: 'none',
      },
    },
  }, KEY);

  it('built-in analyst redacts PII-looking columns and digests statements', () => {
    const v = roleView(policy, 'analyst')!;
    expect(v.maskRow(customers, { id: 1, email: 'a@b.c', card_number: '4111', home_address: 'x', name: 'Al' }))
      .toEqual({ id: 1, email: { $masked: 'redact' }, card_number: { $masked: 'redact' }, home_address: { $masked: 'redact' }, name: 'Al' });
    expect(v.statement("select 'a@b.c'")).toBe('select ?');
    expect(v.transparent).toBe(false);
    expect(roleView(policy, 'admin')!.transparent).toBe(true);
  });

  it('a custom role: scope, first rule wins, privacy by default, statements none', () => {
    const v = roleView(policy, 'support')!;
    expect(v.seesTable(customers)).toBe(true);
    expect(v.seesTable({ ...customers, table: 'payroll' })).toBe(false);
    expect(v.seesActivity({ database: 'shop', objectName: 'public.customers' })).toBe(true);
    expect(v.seesActivity({ database: 'shop', objectName: 'public.payroll' })).toBe(false);
    expect(v.seesActivity({ database: 'shop', objectName: null })).toBe(true);
    expect(v.seesActivity({ database: 'crm', objectName: null })).toBe(false);
    const row = v.maskRow(customers, { email: 'a@b.c', ssn: '078-05-1120', name: 'Al' })!;
    expect(Object.keys(row)).toEqual(['email', 'name']);
    expect(row['email']).toMatchObject({ $masked: 'hash' });
    expect(row['name']).toEqual({ $masked: 'redact' });
    expect(v.statement('select 1')).toBeNull();
    expect(v.allowsField('Query.changes')).toBe(true);
    expect(v.allowsField('Query.apiAccess')).toBe(false);
  });

  it('knows no role the policy does not define', () => {
    expect(roleView(policy, 'nobody')).toBeNull();
  });
});
