/**
 * Malformed files through the built CLI, the way a user runs it: for every format (and `--format auto`), in
 * JSON lines, a top-level JSON array and concatenated pretty-printed documents, good records interleaved with
 * truncated ones, bit flips, invalid UTF-8, raw and escaped NUL, lone surrogates, wrong JSON types, `1e400`,
 * 10,000-deep nesting, a 50 MB string, missing fields and non-objects. Every good record must be stored and
 * read back, every bad one dead-lettered with its raw bytes and a code (or skipped where it is provably not
 * audit data), the exit status 0, and peak memory bounded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;
const UNDECODABLE = 'AUDITQL_UNDECODABLE_RECORD';
const UNSUPPORTED = 'AUDITQL_UNSUPPORTED_RECORD';
const UNKNOWN_FORMAT = 'AUDITQL_UNKNOWN_FORMAT';
const KEPT = 1 << 20; // what a dead letter keeps of an oversized record
const BIG = 50_000_000;
/** Peak resident memory allowed for one ingest of a file holding a 50 MB string (heap capped at 256 MB). */
const MAX_RSS_KIB = 200 * 1024;

let db: Awaited<ReturnType<typeof createDatabase>>;
let pool: pg.Pool;
let dir: string;
let hwmHook: string;

beforeAll(async () => {
  db = await createDatabase('malformed');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  dir = mkdtempSync(join(tmpdir(), 'auditql-malformed-'));
  // Reports the process's peak resident set size as it exits.
  hwmHook = join(dir, 'hwm.cjs');
  writeFileSync(hwmHook, `process.on('exit', () => { const m = /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeSync(2, '\\nVmHWM_KIB=' + (m ? m[1] : '-1') + '\\n'); });\n`);
  expect((await cli(['migrate'])).code).toBe(0);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; hwmKiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=256', '--require', hwmHook, BIN, ...args], {
      env: { ...process.env, DATABASE_URL: db.url, AUDITQL_LOG_LEVEL: 'warn' },
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, hwmKiB: Number(/VmHWM_KIB=(\d+)/.exec(stderr)?.[1] ?? -1) }));
  });
}

// ---------------------------------------------------------------------------------------------------------
// What goes in a file, and what must come out of it

type Expect =
  | { readonly kind: 'good'; readonly marker: string; readonly check?: { readonly sql: string; readonly value: string } }
  | { readonly kind: 'dead'; readonly code: string; readonly oversized?: boolean }
  | { readonly kind: 'skip' };
interface Item { readonly bytes: Buffer; readonly expect: Expect }

type LayoutName = 'lines' | 'array' | 'documents';
interface Layout {
  readonly name: LayoutName;
  readonly ser: (o: unknown) => string;
  readonly file: (items: readonly Buffer[]) => Buffer;
}
const LAYOUTS: Record<LayoutName, Layout> = {
  lines: {
    name: 'lines',
    ser: (o) => JSON.stringify(o),
    file: (items) => Buffer.concat(items.flatMap((b) => [b, Buffer.from('\n')])),
  },
  array: {
    name: 'array',
    ser: (o) => JSON.stringify(o, null, 2).replace(/\n/g, '\n  '),
    file: (items) => Buffer.concat([Buffer.from('[\n'), ...items.flatMap((b, i) => [Buffer.from(i ? ',\n  ' : '  '), b]), Buffer.from('\n]\n')]),
  },
  documents: {
    name: 'documents',
    ser: (o) => JSON.stringify(o, null, 2),
    file: (items) => Buffer.concat(items.flatMap((b) => [b, Buffer.from('\n')])),
  },
};

/** A format under test: a good record carrying `marker` (and the number 4242424, replaced by some cases). */
interface Format {
  readonly name: 'debezium' | 'maxwell' | 'das';
  readonly good: (marker: string) => Record<string, unknown>;
  readonly table: 'changes' | 'activity';
  /** SQL reading a stored record's marker, and its number (4242424 or what replaced it). */
  readonly markerSql: string;
  readonly numberSql: string;
  readonly wrongType: (o: Record<string, unknown>) => unknown;
  readonly missingField: (o: Record<string, unknown>) => unknown;
}

const FORMATS: Record<Format['name'], Format> = {
  debezium: {
    name: 'debezium',
    good: (marker) => ({
      before: null,
      after: { id: 1, note: marker, amount: 4242424 },
      source: { version: '2.7.3.Final', connector: 'postgresql', name: 'dbserver1', ts_ms: 1718000100000, snapshot: 'false', db: 'inventory', schema: 'public', table: 'orders', txId: 772, lsn: 33843000 },
      op: 'c',
      ts_ms: 1718000100500,
    }),
    table: 'changes',
    markerSql: `after->>'note'`,
    numberSql: `after->>'amount'`,
    wrongType: (o) => ({ ...o, after: 'not an object' }),
    missingField: ({ op: _op, ...o }) => o,
  },
  maxwell: {
    name: 'maxwell',
    good: (marker) => ({
      database: 'shop', table: 'customers', type: 'insert', ts: 1700000000, xid: 8812, position: 'mysql-bin.000003:4711',
      server_id: 1, thread_id: 42, primary_key_columns: ['customer_id'], data: { customer_id: 1001, note: marker, amount: 4242424 },
    }),
    table: 'changes',
    markerSql: `after->>'note'`,
    numberSql: `after->>'amount'`,
    wrongType: (o) => ({ ...o, data: 'not an object' }),
    missingField: ({ table: _t, ...o }) => o,
  },
  das: {
    name: 'das',
    good: (marker) => ({
      type: 'DatabaseActivityMonitoringRecords', version: '1.1', key: 'unencrypted',
      databaseActivityEvents: {
        type: 'DatabaseActivityMonitoringRecord', clusterId: 'cluster-MALFORMEDTEST', instanceId: 'db-MALFORMEDTEST',
        databaseActivityEventList: [{
          startTime: '2023-03-02 08:00:00.000000+00', logTime: '2023-03-02 08:00:00.002500+00', statementId: 77, substatementId: 1,
          objectType: 'TABLE', command: 'DELETE', objectName: 'public.sessions', databaseName: 'shop', dbUserName: 'alice',
          remoteHost: '10.0.9.31', remotePort: '49804', sessionId: '5ce5f7f0.474b', rowCount: 12, commandText: marker,
          paramList: [4242424], pid: 18251, clientApplication: 'psql', exitCode: null, class: 'WRITE', serverType: 'PostgreSQL',
          type: 'record', errorMessage: null,
        }],
      },
    }),
    table: 'activity',
    markerSql: 'command_text',
    numberSql: `parameters->>0`,
    wrongType: (o) => ({ ...o, databaseActivityEvents: { ...(o['databaseActivityEvents'] as object), databaseActivityEventList: 'not an array' } }),
    missingField: ({ databaseActivityEvents: _e, ...o }) => o,
  },
};

const text = (b: Buffer | string) => (typeof b === 'string' ? Buffer.from(b) : b);
const good = (bytes: Buffer | string, marker: string, check?: { sql: string; value: string }): Item =>
  ({ bytes: text(bytes), expect: { kind: 'good', marker, ...(check ? { check } : {}) } });
const dead = (bytes: Buffer | string, code: string, oversized = false): Item => ({ bytes: text(bytes), expect: { kind: 'dead', code, oversized } });
const skip = (bytes: Buffer | string): Item => ({ bytes: text(bytes), expect: { kind: 'skip' } });

/** Insert `bytes` into a record's text right after its marker (inside the marker's string). */
function afterMarker(serialized: string, marker: string, bytes: Buffer): Buffer {
  const at = Buffer.from(serialized.slice(0, serialized.indexOf(marker) + marker.length));
  return Buffer.concat([at, bytes, Buffer.from(serialized.slice(serialized.indexOf(marker) + marker.length))]);
}

/** The bad records of a JSON format, each between good ones. */
function badItems(f: Format, layout: Layout, tag: string, big: boolean, codes: { nonObject: string; missing: string; wrongType: string }): Item[] {
  const ser = (o: unknown) => layout.ser(o);
  const m = (what: string) => `${tag}-${what}`;
  const s = (what: string) => ser(f.good(m(what)));
  const flipAt = (t: string, marker: string) => {
    const at = t.indexOf(marker) + marker.length; // the marker string's closing quote
    return t.slice(0, at) + String.fromCharCode(t.charCodeAt(at) ^ 1) + t.slice(at + 1);
  };
  const items: Item[] = [
    dead(s('trunc-str').slice(0, s('trunc-str').indexOf(m('trunc-str')) + 6), UNDECODABLE),
    dead(s('trunc-obj').slice(0, s('trunc-obj').indexOf(m('trunc-obj')) + m('trunc-obj').length + 1), UNDECODABLE),
    dead(flipAt(s('flip'), m('flip')), UNDECODABLE),
    dead(afterMarker(s('utf8'), m('utf8'), Buffer.from([0xc3, 0x28, 0xff])), UNDECODABLE),
    dead(afterMarker(s('rawnul'), m('rawnul'), Buffer.from([0x00])), UNDECODABLE),
    dead(afterMarker(s('escnul'), m('escnul'), Buffer.from('\\u0000')), UNSUPPORTED),
    dead(afterMarker(s('surrogate'), m('surrogate'), Buffer.from('\\ud800')), UNSUPPORTED),
    dead(ser(f.wrongType(f.good(m('wrongtype')))), codes.wrongType),
    dead(ser(f.missingField(f.good(m('missing')))), codes.missing),
    dead(s('deep').replace('4242424', '['.repeat(10_000) + ']'.repeat(10_000)), UNSUPPORTED),
    good(s('1e400').replace('4242424', '1e400'), m('1e400'), { sql: f.numberSql, value: '1e400' }),
    dead(ser([1, 2]), codes.nonObject),
    dead('true', codes.nonObject),
  ];
  if (big) items.push(dead(s('big').replace(m('big'), m('big') + 'x'.repeat(BIG)), UNDECODABLE, true));
  if (layout.name === 'lines') {
    items.push(dead('}', UNDECODABLE));
    // A Kafka envelope whose topic holds NUL: its position and topic could not be stored.
    items.push(dead(JSON.stringify({ topic: 'orders\u0000x', partition: 0, offset: 5, payload: f.good(m('envelope')) }), UNDECODABLE));
  }
  return items;
}

/** Good records around and between the bad ones. */
function interleave(f: Format, layout: Layout, tag: string, bad: readonly Item[]): Item[] {
  const out: Item[] = [];
  const goodOne = (i: number) => good(layout.ser(f.good(`${tag}-good-${i}`)), `${tag}-good-${i}`);
  out.push(goodOne(0));
  bad.forEach((b, i) => out.push(b, goodOne(i + 1)));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Running a file and checking the warehouse

/** What a dead letter's raw bytes are compared on: surrounding blanks and an array's `,` are separators. */
function comparable(b: Buffer): string {
  return b.toString('latin1').replace(/^[\s]+|[\s,]+$/g, '');
}

async function ingestAndCheck(format: string, source: string, items: readonly Item[], file: Buffer): Promise<void> {
  const path = join(dir, `${source}.json`);
  writeFileSync(path, file);
  const r = await cli(['ingest', '--from', 'file', '--format', format, '--source', source, '--json', path]);
  rmSync(path);
  expect(r.stderr.replace(/\n?VmHWM_KIB=\d+\n/, ''), `${source} stderr`).not.toMatch(/error/i);
  expect(r.code, `${source} exit status`).toBe(0);
  const summary = JSON.parse(r.stdout.trim());
  const goods = items.filter((i) => i.expect.kind === 'good');
  const deads = items.filter((i) => i.expect.kind === 'dead');
  const skips = items.filter((i) => i.expect.kind === 'skip');
  expect(summary, source).toMatchObject({ read: items.length, stored: goods.length, deadLettered: deads.length, skipped: skips.length, duplicates: 0 });
  expect(r.hwmKiB, `${source} peak RSS (KiB)`).toBeGreaterThan(0);
  expect(r.hwmKiB, `${source} peak RSS (KiB)`).toBeLessThan(MAX_RSS_KIB);

  // Every good record stored, and read back with its marker.
  const table = FORMAT_TABLES[format] ?? 'changes';
  const markers = await pool.query(
    `select ${markerSql(format)} as marker from auditql.${table} where source = $1 ${format === 'auto' ? '' : ''}` +
      (format === 'auto' ? ` union all select command_text from auditql.activity where source = $1` : ''),
    [source],
  );
  expect(markers.rows.map((x) => x.marker).sort()).toEqual(goods.map((g) => (g.expect as { marker: string }).marker).sort());
  for (const g of goods) {
    const e = g.expect as Extract<Expect, { kind: 'good' }>;
    if (!e.check) continue;
    const v = await pool.query(`select ${e.check.sql} as v from auditql.${table} where source = $1 and ${markerSql(format)} = $2`, [source, e.marker]);
    expect(v.rows, `${e.marker}`).toEqual([{ v: e.check.value }]);
  }

  // Every bad record a dead letter with its bytes and its code.
  const rows = (await pool.query<{ error_code: string; error_message: string; raw: Buffer; length: number }>(
    `select error_code, error_message, substring(raw_value from 1 for ${KEPT + 16}) as raw, length(raw_value) as length
       from auditql.dead_letters where source = $1 order by id`,
    [source],
  )).rows;
  const found = rows.map((x) => ({ code: x.error_code, raw: comparable(x.raw) }));
  const wanted = deads.map((d) => {
    const e = d.expect as Extract<Expect, { kind: 'dead' }>;
    return { code: e.code, raw: comparable(e.oversized ? d.bytes.subarray(0, KEPT) : d.bytes) };
  });
  const byRaw = (a: { raw: string }, b: { raw: string }) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0);
  expect(found.sort(byRaw).map((x) => `${x.code} ${x.raw.slice(0, 200)} (${x.raw.length})`))
    .toEqual(wanted.sort(byRaw).map((x) => `${x.code} ${x.raw.slice(0, 200)} (${x.raw.length})`));
  for (const x of rows) expect(x.error_message, 'a dead letter message holds no row values').not.toMatch(/mk-/);
  const oversized = deads.filter((d) => (d.expect as { oversized?: boolean }).oversized);
  expect(rows.filter((x) => /over the \d+-byte limit/.test(x.error_message)).map((x) => x.length)).toEqual(oversized.map(() => KEPT));
}

const FORMAT_TABLES: Record<string, 'changes' | 'activity'> = { debezium: 'changes', maxwell: 'changes', das: 'activity', pgaudit: 'activity' };
const markerSql = (format: string) => (format === 'debezium' || format === 'maxwell' || format === 'auto' ? `after->>'note'` : 'command_text');

// ---------------------------------------------------------------------------------------------------------

describe('malformed input through the built CLI', () => {
  for (const f of Object.values(FORMATS)) {
    it(`${f.name}: JSON lines, a JSON array and concatenated documents`, async () => {
      for (const layout of Object.values(LAYOUTS)) {
        const tag = `mk-${f.name}-${layout.name}`;
        const bad = badItems(f, layout, tag, layout.name === 'lines', { nonObject: UNDECODABLE, missing: UNDECODABLE, wrongType: UNDECODABLE });
        const items = interleave(f, layout, tag, bad);
        await ingestAndCheck(f.name, `${f.name}-${layout.name}`, items, layout.file(items.map((i) => i.bytes)));
      }
    });
  }

  it('--format auto: a mix of formats; a JSON scalar no format recognizes is a dead letter, not a skip', async () => {
    for (const layout of [LAYOUTS.lines, LAYOUTS.array]) {
      const tag = `mk-auto-${layout.name}`;
      // Record-level mistakes that leave the format unrecognizable are UNKNOWN_FORMAT under auto.
      const bad = badItems(FORMATS.debezium, layout, tag, layout.name === 'lines', { nonObject: UNKNOWN_FORMAT, missing: UNKNOWN_FORMAT, wrongType: UNDECODABLE })
        .filter((i) => i.bytes.toString() !== 'true');
      const items = interleave(FORMATS.debezium, layout, tag, bad);
      items.push(
        good(layout.ser(FORMATS.maxwell.good(`${tag}-maxwell`)), `${tag}-maxwell`),
        good(layout.ser(FORMATS.das.good(`${tag}-das`)), `${tag}-das`),
        dead('42', UNKNOWN_FORMAT), dead('"just a string"', UNKNOWN_FORMAT), dead('true', UNKNOWN_FORMAT),
      );
      await ingestAndCheck('auto', `auto-${layout.name}`, items, layout.file(items.map((i) => i.bytes)));
    }
  });

  it('pgaudit: a stderr log and a jsonlog file', async () => {
    const line = (n: number, statement: string) =>
      `2026-11-22 23:28:47.453 UTC postgres shopdb [14877]: LOG:  AUDIT: SESSION,${n},1,WRITE,INSERT,,,${statement},<none>`;
    const tag = 'mk-pgaudit-stderr';
    const goodLine = (i: number) => good(line(i + 1, `${tag}-good-${i}`), `${tag}-good-${i}`);
    const bad: Item[] = [
      dead(line(90, `${tag}-trunc`).slice(0, 75), UNDECODABLE),
      dead(line(91, `${tag}-nul\u0000`), UNSUPPORTED),
      dead(line(92, `${tag}-big${'x'.repeat(BIG)}`), UNDECODABLE, true),
      skip('2026-11-22 23:28:47.500 UTC   [14866]: LOG:  checkpoint starting: time'),
    ];
    const items: Item[] = [goodLine(0)];
    bad.forEach((b, i) => items.push(b, goodLine(i + 1)));
    // Invalid UTF-8 in a text log is stored with U+FFFD in its place (docs/sources/file.md).
    const invalid = afterMarker(line(99, `${tag}-latin`), `${tag}-latin`, Buffer.from([0xe9]));
    items.push({ bytes: invalid, expect: { kind: 'good', marker: `${tag}-latin\ufffd` } });
    await ingestAndCheck('pgaudit', 'pgaudit-stderr', items, LAYOUTS.lines.file(items.map((i) => i.bytes)));

    const jtag = 'mk-pgaudit-jsonlog';
    const jsonlog = (m: string) => ({
      timestamp: '2026-11-22 23:28:47.384 UTC', user: 'postgres', dbname: 'shopdb', pid: 14875, session_id: '6b037aaf.3a1b',
      line_num: 3, error_severity: 'LOG', message: `AUDIT: SESSION,1,1,WRITE,INSERT,,,${m},<none>`, backend_type: 'client backend',
    });
    const js = (what: string) => JSON.stringify(jsonlog(`${jtag}-${what}`));
    const jbad: Item[] = [
      dead(js('trunc').slice(0, 60), UNDECODABLE),
      dead(afterMarker(js('utf8'), `${jtag}-utf8`, Buffer.from([0xff])), UNDECODABLE),
      dead(afterMarker(js('escnul'), `${jtag}-escnul`, Buffer.from('\\u0000')), UNSUPPORTED),
      dead(JSON.stringify({ ...jsonlog(`${jtag}-wrongtype`), message: 5 }), UNDECODABLE),
    ];
    const jitems: Item[] = [good(js('good-0'), `${jtag}-good-0`)];
    jbad.forEach((b, i) => jitems.push(b, good(js(`good-${i + 1}`), `${jtag}-good-${i + 1}`)));
    await ingestAndCheck('pgaudit', 'pgaudit-jsonlog', jitems, LAYOUTS.lines.file(jitems.map((i) => i.bytes)));
  });
});
