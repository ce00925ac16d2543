/**
 * Golden fixtures (test/fixtures/README.md): `<case>.<ext>` is a file exactly as `auditql ingest --from
 * file` reads it; `<case>.expected.json` says what it must decode to. Decoder unit tests and the warehouse
 * read-back test (test/integration/fixtures-roundtrip.test.ts) both use these, so every shape is proven
 * twice: decoded, and read back from a real PostgreSQL.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { expect } from 'vitest';
import { join, basename } from 'node:path';
import { logFramerOf, type DecodeContext, type Decoder } from '../../src/decoders/decoder.js';
import type { RawRecord } from '../../src/contracts/records.js';
import { decodeContext } from '../../src/decoders/context.js';
import { decodeRecord } from '../../src/ingest/decode-record.js';
import { readFileRecords } from '../../src/sources/file/read-records.js';
import type { AuditEvent } from '../../src/model/events.js';
import { compileMapping } from '../../src/decoders/mapped/compile-mapping.js';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

export interface Expected {
  /** Decode context: keyColumns as an object of `table → [cols]`, plus any other DecodeContext fields. */
  context?: {
    keyColumns?: Record<string, string[]>; contextPrefix?: string; logLinePrefix?: string; maxwellKey?: string; dasResourceId?: string;
    /** `--format mapped`: the mapping file, relative to test/fixtures/ (e.g. `mapped/app-audit.mapping.json`). */
    mapping?: string;
  };
  records: number;
  skipped: number;
  deadLettered: number;
  /** Dead-letter codes in record order, when any. */
  deadCodes?: string[];
  /** Every event the file yields, in order, as `comparable()` renders it (no `position`). */
  events: unknown[];
}

export interface FixtureCase {
  format: string;
  name: string;
  input: string;
  expected: Expected;
}

/** All cases of a format: every file in test/fixtures/<format>/ with a sibling `.expected.json`. */
export function fixtureCases(format: string): FixtureCase[] {
  const dir = join(FIXTURES, format);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.expected.json') && !f.endsWith('.mapping.json') && !/\.(md|mjs|js|ts|sh|py)$/.test(f) && !f.startsWith('.'))
    .map((f) => {
      const name = f.replace(/\.[^.]+$/, '');
      const exp = join(dir, `${name}.expected.json`);
      if (!existsSync(exp)) throw new Error(`fixture ${format}/${f} has no ${basename(exp)}`);
      return { format, name, input: join(dir, f), expected: JSON.parse(readFileSync(exp, 'utf8')) as Expected };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function contextOf(expected: Expected, extra: Partial<DecodeContext> = {}): DecodeContext {
  const { keyColumns, mapping, ...rest } = expected.context ?? {};
  return decodeContext({
    ...rest,
    keyColumns: new Map(Object.entries(keyColumns ?? {})),
    ...(mapping ? { mapping: compileMapping(JSON.parse(readFileSync(join(FIXTURES, mapping), 'utf8'))) } : {}),
    ...extra,
  });
}

/** An event as plain JSON for comparison: dates as ISO strings, no position (that is the transport's). */
export function comparable(event: AuditEvent): unknown {
  const { position: _p, ...rest } = event;
  return JSON.parse(JSON.stringify(rest));
}

export async function recordsOf(path: string, decoder: Decoder, ctx: DecodeContext): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const r of readFileRecords(path, logFramerOf(decoder, ctx))) out.push(r);
  return out;
}

export interface DecodedFixture {
  records: number;
  skipped: number;
  deadLettered: number;
  deadCodes: string[];
  events: AuditEvent[];
}

/** Frame and decode a fixture exactly as the ingest pipeline does (positions included). */
export async function decodeFixture(c: FixtureCase, decoder: Decoder, extra: Partial<DecodeContext> = {}): Promise<DecodedFixture> {
  const ctx = contextOf(c.expected, extra);
  const out: DecodedFixture = { records: 0, skipped: 0, deadLettered: 0, deadCodes: [], events: [] };
  for (const record of await recordsOf(c.input, decoder, ctx)) {
    out.records++;
    const d = await decodeRecord(decoder, record, ctx);
    if (d.kind === 'dead') {
      out.deadLettered++;
      out.deadCodes.push(d.code);
    } else if (d.events.length === 0) out.skipped++;
    else out.events.push(...d.events);
  }
  return out;
}

/**
 * The decoded fixture is exactly its `.expected.json`: record, skip and dead-letter counts, dead-letter
 * codes, every event; positions unique (the sink dedupes on them) and events frozen (the model is immutable).
 */
export function expectDecodedAsExpected(got: DecodedFixture, expected: Expected): void {
  expect({ records: got.records, skipped: got.skipped, deadLettered: got.deadLettered, deadCodes: got.deadCodes }).toEqual({
    records: expected.records,
    skipped: expected.skipped,
    deadLettered: expected.deadLettered,
    deadCodes: expected.deadCodes ?? [],
  });
  expect(got.events.map(comparable)).toEqual(expected.events);
  const positions = got.events.map((e) => e.position);
  expect(new Set(positions).size).toBe(positions.length);
  for (const e of got.events) expect(Object.isFrozen(e)).toBe(true);
}
