import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { AuditqlError, ErrorCode } from '../../src/errors.js';
import { decodeContext } from '../../src/decoders/context.js';
import { decodeRecord } from '../../src/ingest/decode-record.js';
import { pgauditDecoder, looksLikePgauditLog } from '../../src/decoders/pgaudit/decoder.js';
import { compileLogLinePrefix, prefixSetFor } from '../../src/decoders/pgaudit/log-line-prefix.js';
import { parseCsv, togglesQuote } from '../../src/decoders/pgaudit/csv.js';
import { parseAuditPayload } from '../../src/decoders/pgaudit/audit-payload.js';
import { parseCsvlogRecord } from '../../src/decoders/pgaudit/csvlog.js';
import { PgLogFramer } from '../../src/decoders/pgaudit/framer.js';
import { parseEpochSeconds, parseLogTimestamp } from '../../src/decoders/pgaudit/log-time.js';
import type { ActivityEvent } from '../../src/model/events.js';
import { contextOf, decodeFixture, fixtureCases, recordsOf, expectDecodedAsExpected } from '../helpers/fixtures.js';

const cases = fixtureCases('pgaudit');

describe('pgAudit fixtures', () => {
  it('has every shape on disk (a missing directory must not pass as "no cases")', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const c of cases) {
    it(`decodes ${c.name}`, async () => {
      const got = await decodeFixture(c, pgauditDecoder);
      // The warehouse dedupes on (source, position): distinct log entries must keep distinct positions.
      expectDecodedAsExpected(got, c.expected);
    });
  }
});

describe('captured PostgreSQL 15 logs: stderr, csvlog and jsonlog of one run agree', () => {
  const load = async (name: string) => {
    const c = cases.find((x) => x.name === name)!;
    return (await decodeFixture(c, pgauditDecoder)).events as ActivityEvent[];
  };
  const common = (e: ActivityEvent) => ({
    class: e.class, rawClass: e.rawClass, command: e.command, commandText: e.commandText, objectType: e.objectType,
    objectName: e.objectName, database: e.database, dbUser: e.dbUser, pid: e.pid, statementId: e.statementId,
    substatementId: e.substatementId, rowCount: e.rowCount, parameters: e.parameters, occurredAt: e.occurredAt?.toISOString(),
    auditType: e.extra['auditType'], severity: e.extra['severity'], parameterNote: e.extra['parameterNote'] ?? null,
    statementNote: e.extra['statementNote'] ?? null,
  });

  it('yields the same audit events from each destination', async () => {
    const stderr = await load('captured-pg15-stderr-readme-prefix');
    const csv = await load('captured-pg15-csvlog');
    const json = await load('captured-pg15-jsonlog');
    expect(stderr.length).toBeGreaterThan(50);
    expect(csv.map(common)).toEqual(stderr.map(common));
    expect(json.map(common)).toEqual(stderr.map(common));
    // csvlog and jsonlog carry the session facts the README prefix leaves out.
    const session = (e: ActivityEvent) => [e.sessionId, e.remoteHost, e.remotePort, e.txId, e.clientApplication, e.extra['vxid'], e.extra['queryId']];
    expect(json.map(session)).toEqual(csv.map(session));
  });

  it('keeps a 64-bit query id exact (jsonlog numbers beyond 2^53)', async () => {
    const json = await load('captured-pg15-jsonlog');
    const ids = json.map((e) => e.extra['queryId']).filter((q) => q !== undefined);
    expect(ids.length).toBeGreaterThan(0);
    for (const q of ids) expect(q).toMatch(/^-?\d{16,20}$/);
    const raw = readFileSync(cases.find((x) => x.name === 'captured-pg15-jsonlog')!.input, 'utf8');
    for (const q of ids) expect(raw).toContain(`"query_id":${q as string}`);
  });

  it('drops the tab PostgreSQL puts after each newline of a stderr message, and only that one', async () => {
    const stderr = await load('captured-pg15-stderr-readme-prefix');
    const insert = stderr.find((e) => e.commandText?.startsWith('INSERT INTO shop.orders (order_id, customer_id, total)\n'));
    expect(insert?.commandText).toBe('INSERT INTO shop.orders (order_id, customer_id, total)\n\tVALUES (2, 1001, 5.00),\n\t       (3, 1002, 7.50);');
  });
});

describe('dead letters', () => {
  it('never quote the statement or the parameter values', async () => {
    const c = cases.find((x) => x.name === 'stderr-malformed-audit')!;
    const ctx = contextOf(c.expected);
    const messages: string[] = [];
    for (const r of await recordsOf(c.input, pgauditDecoder, ctx)) {
      const d = await decodeRecord(pgauditDecoder, r, ctx);
      if (d.kind === 'dead') messages.push(d.message);
    }
    expect(messages).toHaveLength(7);
    for (const m of messages) {
      expect(m).toMatch(/^pgAudit /);
      expect(m).not.toMatch(/secret|UPDATE|SELECT/);
    }
  });

  it('name the prefix problem when an AUDIT line matches no log_line_prefix', async () => {
    const line = '2026-11-21 09:00:01.000 UTC alice shopdb [3001]: LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>';
    const record = { position: 'p', value: Buffer.from(line) };
    const configured = await decodeRecord(pgauditDecoder, record, decodeContext({ logLinePrefix: '%m [%p] ' }));
    expect(configured).toEqual({ kind: 'dead', code: ErrorCode.UNDECODABLE_RECORD, message: 'pgAudit entry does not match the configured log_line_prefix' });
    const unset = await decodeRecord(pgauditDecoder, { position: 'p', value: Buffer.from(line.replace(' alice shopdb [3001]:', ' <3001>')) }, decodeContext());
    expect(unset.kind === 'dead' && unset.message).toMatch(/default log_line_prefix/);
  });
});

describe('log_line_prefix compiler', () => {
  it('reads the pgAudit README prefix, with and without a session', () => {
    const p = compileLogLinePrefix('%m %u %d [%p]: ');
    expect(p.match('2026-11-22 23:23:14.432 UTC postgres shop db [5103]: LOG:  AUDIT: x')).toEqual({
      values: { timeMs: '2026-11-22 23:23:14.432 UTC', user: 'postgres', database: 'shop db', pid: '5103' },
      severity: 'LOG',
      message: 'AUDIT: x',
    });
    expect(p.match('2026-11-22 23:23:14.229 UTC   [5083]: LOG:  starting PostgreSQL 15')?.values).toEqual({
      timeMs: '2026-11-22 23:23:14.229 UTC', user: '', database: '', pid: '5083',
    });
  });

  it('reads the RDS prefix with IPv6, IPv4 and [local] clients', () => {
    const p = compileLogLinePrefix('%t:%r:%u@%d:[%p]:');
    expect(p.match('2026-11-20 09:17:00 UTC:2001:db8::17(60422):dba@orders:[9100]:LOG:  AUDIT: x')?.values).toEqual({
      time: '2026-11-20 09:17:00 UTC', remote: '2001:db8::17(60422)', user: 'dba', database: 'orders', pid: '9100',
    });
    expect(p.match('2026-11-20 09:16:40 UTC:[local]:rdsadmin@rdsadmin:[9001]:LOG:  x')?.values.remote).toBe('[local]');
    expect(p.match('2026-11-20 09:15:02 UTC::@:[397]:LOG:  checkpoint starting: time')?.values).toEqual({
      time: '2026-11-20 09:15:02 UTC', remote: '', user: '', database: '', pid: '397',
    });
  });

  it('treats everything after %q as optional (non-session processes stop there)', () => {
    const p = compileLogLinePrefix('%m [%p] %q%u@%d app=%a xid=%x vxid=%v sid=%c line=%l start=%s backend=%b state=%e tag=%i qid=%Q: ');
    expect(p.match('2026-11-22 23:28:50.407 UTC [14962] LOG:  00000: starting')?.values).toEqual({
      timeMs: '2026-11-22 23:28:50.407 UTC', pid: '14962',
    });
    const m = p.match(
      '2026-11-22 23:28:50.831 UTC [14971] postgres@postgres app=capture setup xid=724 vxid=3/2 sid=6b037ab2.3a7b line=5 ' +
        'start=2026-11-22 23:28:50 UTC backend=client backend state=00000 tag=CREATE DATABASE qid=-3560833248545330299: LOG:  00000: AUDIT: x',
    );
    expect(m?.values).toEqual({
      timeMs: '2026-11-22 23:28:50.831 UTC', pid: '14971', user: 'postgres', database: 'postgres', application: 'capture setup',
      txid: '724', vxid: '3/2', sessionId: '6b037ab2.3a7b', sessionLine: '5', sessionStart: '2026-11-22 23:28:50 UTC',
      backendType: 'client backend', sqlState: '00000', commandTag: 'CREATE DATABASE', queryId: '-3560833248545330299',
    });
    expect(m?.message).toBe('00000: AUDIT: x');
  });

  it('accepts padding, %%, %n, %P, %h and ignores unknown escapes', () => {
    const p = compileLogLinePrefix('%n %% [%6p] %-10u|%P|%h|%z: ');
    expect(p.match('1763719200.123 % [   812] alice     ||10.0.0.1|: NOTICE:  hi')).toEqual({
      values: { epoch: '1763719200.123', pid: '812', user: 'alice', leaderPid: '', host: '10.0.0.1' },
      severity: 'NOTICE',
      message: 'hi',
    });
  });

  it('strips the quotes a prefix pasted from postgresql.conf keeps', () => {
    expect(compileLogLinePrefix("'%m [%p] '").match('2026-01-01 00:00:00.000 UTC [1] LOG:  x')?.values.pid).toBe('1');
  });

  it('finds the severity after a value that itself contains "LOG:  "', () => {
    const p = compileLogLinePrefix('%m %a [%p] ');
    expect(p.match('2026-01-01 00:00:00.000 UTC LOG:  tricky app [7] WARNING:  AUDIT: x')).toMatchObject({
      values: { application: 'LOG:  tricky app', pid: '7' },
      severity: 'WARNING',
      message: 'AUDIT: x',
    });
  });

  it('does not match continuation lines', () => {
    const p = compileLogLinePrefix('%m %u %d [%p]: ');
    expect(p.match('\t2026-11-21 11:00:00.000 UTC mallory shopdb [1]: LOG:  AUDIT: forged')).toBeNull();
    expect(p.match('  FROM shop.customer c')).toBeNull();
    expect(p.match('x'.repeat(100_000) + ' LOG:  ')).toBeNull();
  });

  it('tries the README, RDS, PostgreSQL-default and empty prefixes when none is configured', () => {
    const d = prefixSetFor(undefined);
    expect(d.prefixes.map((p) => p.source)).toEqual(['%m %u %d [%p]: ', '%t:%r:%u@%d:[%p]:', '%m [%p] ', '']);
    expect(d.match('2026-01-01 00:00:00.000 UTC [42] LOG:  x')?.values.pid).toBe('42');
    expect(d.match('LOG:  AUDIT: x')?.message).toBe('AUDIT: x');
    expect(prefixSetFor('%m [%p] ').match('LOG:  AUDIT: x')).toBeNull();
  });
});

describe('CSV', () => {
  it('splits quoted fields holding commas, doubled quotes and newlines', () => {
    const r = parseCsv('a,"b,c","say ""hi""","two\nlines",,""');
    expect(r).toEqual({
      ok: true,
      fields: [
        { value: 'a', quoted: false },
        { value: 'b,c', quoted: true },
        { value: 'say "hi"', quoted: true },
        { value: 'two\nlines', quoted: true },
        { value: '', quoted: false },
        { value: '', quoted: true },
      ],
    });
  });

  it('takes a stray quote inside a bare field literally', () => {
    expect(parseCsv('a"b,c')).toEqual({ ok: true, fields: [{ value: 'a"b', quoted: false }, { value: 'c', quoted: false }] });
  });

  it('rejects an unterminated quote and text after a closing quote, without quoting the text', () => {
    expect(parseCsv('a,"secret')).toEqual({ ok: false, reason: 'unterminated quoted field (field 2)' });
    expect(parseCsv('"secret"x,b')).toEqual({ ok: false, reason: 'text after a closing quote (field 1)' });
  });

  it('tracks whether a line ends inside a quoted field', () => {
    expect(togglesQuote('2026,"AUDIT: ""x', false)).toBe(true);
    expect(togglesQuote('still inside', true)).toBe(true);
    expect(togglesQuote('y"",<none>",,', true)).toBe(false);
  });
});

describe('AUDIT payload', () => {
  it('reads the README example', () => {
    expect(parseAuditPayload('AUDIT: SESSION,36,1,DDL,ALTER TABLE,TABLE,public.test2,ALTER TABLE test RENAME TO test2,<not logged>')).toEqual({
      auditType: 'SESSION', statementId: '36', substatementId: '1', rawClass: 'DDL', command: 'ALTER TABLE', objectType: 'TABLE',
      objectName: 'public.test2', statement: 'ALTER TABLE test RENAME TO test2', statementNote: null, parameters: null,
      parameterNote: '<not logged>', rows: null,
    });
  });

  it('reads bind values (a NULL is an empty item), ROWS, and statement markers', () => {
    const p = parseAuditPayload('SESSION,3,1,WRITE,UPDATE,TABLE,shop.customer,UPDATE t SET a = $1 WHERE id = $2,",1001",1');
    expect([p.parameters, p.rows]).toEqual([['', '1001'], 1]);
    const single = parseAuditPayload('OBJECT,16,2,READ,SELECT,TABLE,shop.customer,"SELECT 1 FROM ONLY ""shop"".""customer"" x",1001');
    expect([single.statement, single.parameters, single.rows]).toEqual(['SELECT 1 FROM ONLY "shop"."customer" x', ['1001'], null]);
    const once = parseAuditPayload('SESSION,10,1,READ,SELECT,TABLE,shop.orders,<previously logged>,<previously logged>');
    expect([once.statement, once.statementNote, once.parameters, once.parameterNote]).toEqual([null, '<previously logged>', null, '<previously logged>']);
    expect(parseAuditPayload('SESSION,1,1,READ,SELECT,,,,<none>').statement).toBeNull();
    expect(parseAuditPayload('SESSION,1,1,WRITE,INSERT,,,INSERT INTO t VALUES ($1),<long param suppressed>').parameterNote).toBe('<long param suppressed>');
  });

  it.each([
    ['SESSION,1,1,READ', 'has 4 fields'],
    ['SESSION,1,1,READ,SELECT,,,SELECT 1,<none>,1,2', 'has 11 fields'],
    ['NEITHER,1,1,READ,SELECT,,,SELECT 1,<none>', 'AUDIT_TYPE'],
    ['SESSION,-1,1,READ,SELECT,,,SELECT 1,<none>', 'STATEMENT_ID'],
    ['SESSION,1,1,read;,SELECT,,,SELECT 1,<none>', 'CLASS'],
    ['SESSION,1,1,READ,SELECT,,,SELECT 1,<none>,lots', 'ROWS'],
    ['SESSION,1,1,READ,SELECT,,,SELECT 1,"""open"', 'PARAMETER list'],
    ['SESSION,1,1,READ,SELECT,,,"SELECT 1,<none>', 'not valid CSV'],
  ])('rejects %s with a DecodeError', (payload, what) => {
    let err: unknown;
    try {
      parseAuditPayload(payload);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuditqlError);
    expect((err as AuditqlError).code).toBe(ErrorCode.UNDECODABLE_RECORD);
    expect((err as AuditqlError).message).toContain(what);
    expect((err as AuditqlError).message).not.toContain('SELECT 1');
  });
});

describe('csvlog', () => {
  const row = (n: number) => {
    const cols = ['2026-10-07 12:00:00.000 UTC', '"u"', '"d"', '1', '"::1:5432"', 's.1', '1', '"SELECT"', '', '2/1', '7', 'LOG', '00000', '"AUDIT: x"'];
    while (cols.length < n) cols.push('');
    return cols.join(',');
  };
  it.each([23, 24, 26])('accepts %i columns', (n) => {
    const r = parseCsvlogRecord(row(n));
    expect(r.ok && [r.entry.remoteHost, r.entry.remotePort, r.entry.txid, r.entry.message]).toEqual(['::1', '5432', '7', 'AUDIT: x']);
  });
  it.each([22, 25, 27])('rejects %i columns', (n) => {
    expect(parseCsvlogRecord(row(n))).toEqual({ ok: false, reason: `csvlog record has ${n} columns; expected 23 (PostgreSQL 12), 24 (13) or 26 (14+)` });
  });
});

describe('framer', () => {
  const frame = (lines: string[], logLinePrefix?: string) => {
    const f = pgauditDecoder.createLogFramer!(decodeContext(logLinePrefix === undefined ? {} : { logLinePrefix }));
    return [...lines.flatMap((l) => f.line(l)), ...f.end()];
  };

  it('keeps stderr continuation lines with their entry and drops blank lines between entries', () => {
    expect(
      frame(['junk before', '2026-01-01 00:00:00.000 UTC [1] LOG:  AUDIT: a,"b', '\tc"', '', '\t', '\td', '', '', '2026-01-01 00:00:01.000 UTC [1] LOG:  e', ''], '%m [%p] '),
    ).toEqual(['junk before', '2026-01-01 00:00:00.000 UTC [1] LOG:  AUDIT: a,"b\n\tc"\n\n\t\n\td', '2026-01-01 00:00:01.000 UTC [1] LOG:  e']);
  });

  it('starts an entry at an un-indented AUDIT line the prefix does not match', () => {
    expect(frame(['2026-01-01 00:00:00.000 UTC [1] LOG:  x', 'other prefix LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,S,<none>', '\tmore'], '%m [%p] ')).toEqual([
      '2026-01-01 00:00:00.000 UTC [1] LOG:  x',
      'other prefix LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,S,<none>\n\tmore',
    ]);
  });

  it('ends a csvlog record at the first line end outside quotes', () => {
    const a = '2026-10-05 14:00:03.512 UTC,"etl",,1,,s.1,1,,,,0,LOG,00000,"AUDIT: SESSION,1,1,WRITE,INSERT,,,""INSERT';
    expect(frame([a, '', 'VALUES (1)"",<none>",,,,,,,,,""', '', '2026-10-05 14:00:04.000 UTC,,,1,,s.1,2,,,,0,LOG,00000,"x",,,,,,,,,""'])).toEqual([
      `${a}\n\nVALUES (1)"",<none>",,,,,,,,,""`,
      '2026-10-05 14:00:04.000 UTC,,,1,,s.1,2,,,,0,LOG,00000,"x",,,,,,,,,""',
    ]);
  });

  it('passes jsonlog lines one by one', () => {
    expect(frame(['{"a":1}', '', '{"b":2}'])).toEqual(['{"a":1}', '{"b":2}']);
  });
});

describe('format detection', () => {
  it('recognizes jsonlog records, audit or not', () => {
    expect(pgauditDecoder.recognizes({ message: 'AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>' })).toBe(true);
    expect(pgauditDecoder.recognizes({ timestamp: '2026-11-22 23:28:47.064 UTC', error_severity: 'LOG', message: 'database system is ready' })).toBe(true);
  });

  it('does not claim Debezium, Maxwell or DAS records', () => {
    expect(pgauditDecoder.recognizes({ schema: null, payload: { before: null, after: { id: 1 }, op: 'c', source: { connector: 'postgresql' } } })).toBe(false);
    expect(pgauditDecoder.recognizes({ before: null, after: { id: 1 }, op: 'c', source: {}, ts_ms: 1 })).toBe(false);
    expect(pgauditDecoder.recognizes({ database: 'shop', table: 'customer', type: 'insert', ts: 1, data: { id: 1 } })).toBe(false);
    expect(pgauditDecoder.recognizes({ type: 'DatabaseActivityMonitoringRecords', version: '1.1', databaseActivityEvents: 'AAAA', key: 'BBBB' })).toBe(false);
    expect(pgauditDecoder.recognizes({ type: 'record', class: 'READ', command: 'SELECT', commandText: 'AUDIT: x' })).toBe(false);
    expect(pgauditDecoder.recognizes('AUDIT: SESSION')).toBe(false);
    expect(pgauditDecoder.recognizes(null)).toBe(false);
  });

  it('tells a PostgreSQL log from other text by its first lines', () => {
    expect(looksLikePgauditLog(['2026-11-22 23:23:14.229 UTC   [5083]: LOG:  starting PostgreSQL 15.18'])).toBe(true);
    expect(looksLikePgauditLog(['2026-11-22 23:23:14.229 UTC,,,5083,,6b037962.13db,1,,2026-11-22 23:23:14 UTC,,0,LOG,00000,"starting",,,,,,,,,"","postmaster",,0'])).toBe(true);
    expect(looksLikePgauditLog(['{"timestamp":"2026-11-22 23:23:14.229 UTC","pid":1,"error_severity":"LOG","message":"x"}'])).toBe(true);
    expect(looksLikePgauditLog(['whatever 12:00 LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>'], '%m [%p] ')).toBe(true);
    expect(looksLikePgauditLog(['2026-11-22 x [1] LOG:  hello'], '%t:%r:%u@%d:[%p]:')).toBe(false);
    expect(looksLikePgauditLog(['hello world', 'id,name', '{"op":"c","after":{"id":1}}'])).toBe(false);
  });
});

describe('log timestamps', () => {
  it('resolves UTC, GMT and numeric zone abbreviations, not letter ones', () => {
    expect(parseLogTimestamp('2026-11-22 23:23:14.229 UTC')?.toISOString()).toBe('2026-11-22T23:23:14.229Z');
    expect(parseLogTimestamp('2026-11-22 23:23:14 GMT')?.toISOString()).toBe('2026-11-22T23:23:14.000Z');
    expect(parseLogTimestamp('2026-11-21 15:45:00.125 +0545')?.toISOString()).toBe('2026-11-21T10:00:00.125Z');
    expect(parseLogTimestamp('2026-11-21 07:00:00 -03')?.toISOString()).toBe('2026-11-21T10:00:00.000Z');
    expect(parseLogTimestamp('2026-11-21 15:30:00 +05:30')?.toISOString()).toBe('2026-11-21T10:00:00.000Z');
    expect(parseLogTimestamp('2026-11-21 11:00:00.500 CET')).toBeNull();
    expect(parseLogTimestamp('2026-11-21 11:00:00.500')).toBeNull();
    expect(parseLogTimestamp('2026-02-30 11:00:00 UTC')).toBeNull();
    expect(parseEpochSeconds('1763719200.123')?.toISOString()).toBe('2025-11-21T10:00:00.123Z');
  });
});

describe('decoder', () => {
  it('is the pgaudit format and skips empty records', async () => {
    expect(pgauditDecoder.format).toBe('pgaudit');
    expect(await pgauditDecoder.decode({ position: 'p', value: null }, decodeContext())).toEqual({ events: [], skipped: 'TOMBSTONE' });
    expect(await pgauditDecoder.decode({ position: 'p', value: Buffer.from('  ') }, decodeContext())).toEqual({ events: [], skipped: 'EMPTY' });
  });

  it('skips AUDIT text at a severity pgAudit cannot log at', async () => {
    const line = '2026-01-01 00:00:00.000 UTC [1] ERROR:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>';
    expect(await pgauditDecoder.decode({ position: 'p', value: Buffer.from(line) }, decodeContext({ logLinePrefix: '%m [%p] ' }))).toEqual({
      events: [],
      skipped: 'NOT_AUDIT',
    });
  });
});
