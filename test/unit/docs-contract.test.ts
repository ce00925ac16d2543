/**
 * The documents that mirror an enum one to one (docs/contributing.md "Specs at the boundary"), held against
 * it both ways: every error code of `ErrorCode` has its row in docs/errors.md "The codes" and no row names a
 * code the enum lacks; the close-code table of docs/subscriptions.md "Close codes" lists exactly
 * `SubscriptionCloseCode` (with `CloseReason`'s reasons), and its graphql-ws rows are graphql-ws's own
 * `CloseCode`s, all of those the server can send; docs/warehouse.md names the `extra` fields stored once
 * (`SHARED_EXTRA_FIELDS`). Pure: reads files, no database.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode } from 'graphql-ws';
import { ErrorCode } from '../../src/errors.js';
import { CloseReason, SubscriptionCloseCode } from '../../src/graphql/subscriptions/close-codes.js';
import { packageRoot } from '../../src/package-root.js';
import { SHARED_EXTRA_FIELDS } from '../../src/warehouse/source-blocks.js';

const doc = (path: string) => readFileSync(join(packageRoot(), path), 'utf8');

/** The body of the `## title` section (up to the next heading of level 2 or higher). */
function section(markdown: string, title: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l === `## ${title}`);
  if (start < 0) throw new Error(`no section "## ${title}"`);
  const end = lines.findIndex((l, i) => i > start && /^#{1,2} /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The rows of the first Markdown table in `text`, as cells with `**` and surrounding backticks removed. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  expect(lines.length, 'a table').toBeGreaterThan(2);
  expect(lines[1], 'a header separator').toMatch(/^\|(\s*:?-+:?\s*\|)+$/);
  return lines.slice(2).map((l) =>
    l.slice(1, -1).split(' | ').map((c) => c.trim().replace(/\*\*/g, '').replace(/^`(.*)`$/, '$1')),
  );
}

const duplicates = (xs: readonly string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

describe('docs/errors.md', () => {
  const rows = tableRows(section(doc('docs/errors.md'), 'The codes'));
  const documented = rows.map((r) => r[0]!);

  it('documents every ErrorCode, once', () => {
    expect(duplicates(documented)).toEqual([]);
    const missing = Object.values(ErrorCode).filter((c) => !documented.includes(c));
    expect(missing, 'codes in src/errors.ts without a row in docs/errors.md "The codes"').toEqual([]);
  });

  it('documents no code that ErrorCode lacks', () => {
    const codes: readonly string[] = Object.values(ErrorCode);
    const unknown = documented.filter((c) => !codes.includes(c));
    expect(unknown, 'rows in docs/errors.md "The codes" that src/errors.ts does not define').toEqual([]);
  });

  it('gives each code a meaning', () => {
    for (const r of rows) expect(r.at(-1)!.length, r[0]).toBeGreaterThan(20);
  });

  it('is what docs/subscriptions.md "Errors" uses', () => {
    const codes: readonly string[] = Object.values(ErrorCode);
    const used = tableRows(section(doc('docs/subscriptions.md'), 'Errors')).map((r) => r[0]!);
    expect(used.filter((c) => !codes.includes(c))).toEqual([]);
  });
});

describe('docs/subscriptions.md "Close codes"', () => {
  const rows = tableRows(section(doc('docs/subscriptions.md'), 'Close codes')).map(([code, name, reason]) => ({
    code: Number(code),
    name: name!,
    reason: reason!,
  }));
  const ours = rows.filter((r) => r.name.startsWith('SubscriptionCloseCode.'));
  const library = rows.filter((r) => r.name.startsWith('CloseCode.'));

  it('names every row after one of the two enums, with a numeric code', () => {
    expect(rows.filter((r) => !ours.includes(r) && !library.includes(r))).toEqual([]);
    for (const r of rows) expect(Number.isInteger(r.code), r.name).toBe(true);
  });

  it('lists exactly SubscriptionCloseCode, names and codes', () => {
    const documented = ours.map((r): [string, number] => [r.name.slice('SubscriptionCloseCode.'.length), r.code]);
    expect(duplicates(documented.map(([n]) => n))).toEqual([]);
    expect(new Map(documented)).toEqual(new Map(Object.entries(SubscriptionCloseCode)));
  });

  it("gives CloseReason's reasons, each on the row of its code", () => {
    // one reason, or several separated by commas (tableRows strips the outermost backticks only)
    const reasonsOf = (r: { reason: string }) => r.reason.split(',').map((x) => x.trim().replace(/^`|`$/g, ''));
    for (const [name, reason] of Object.entries(CloseReason)) {
      const row = ours.find((r) => r.name === `SubscriptionCloseCode.${name}`) ?? ours.find((r) => reasonsOf(r).includes(reason));
      expect(row && reasonsOf(row), name).toContain(reason);
    }
  });

  it("lists graphql-ws's own codes as graphql-ws defines them, every one the server can send", () => {
    const enumEntries = Object.entries(CloseCode).filter(([, v]) => typeof v === 'number') as [string, number][];
    for (const r of library) {
      expect(CloseCode[r.name.slice('CloseCode.'.length) as keyof typeof CloseCode], r.name).toBe(r.code);
    }
    // Raised by a client about its server, never sent by one.
    const clientSide = new Set(['InternalClientError', 'BadResponse', 'ConnectionAcknowledgementTimeout']);
    const documentedCodes = new Set(rows.map((r) => r.code));
    const undocumented = enumEntries.filter(([n, v]) => !clientSide.has(n) && !documentedCodes.has(v)).map(([n]) => n);
    expect(undocumented, 'graphql-ws close codes missing from the table').toEqual([]);
  });
});

describe('docs/warehouse.md "Storing each fact once"', () => {
  it('names exactly the extra fields a change shares with its stream (SHARED_EXTRA_FIELDS)', () => {
    const text = section(doc('docs/warehouse.md'), 'Storing each fact once');
    const start = text.indexOf('**The source block.**');
    const list = text.slice(text.indexOf(' — ', start), text.indexOf('; the list is', start));
    const named = [...list.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    expect([...named].sort()).toEqual([...SHARED_EXTRA_FIELDS].sort());
  });
});
