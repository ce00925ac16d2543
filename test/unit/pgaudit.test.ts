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
import type { Decoder } from '../../src/decoders/decoder.js';
import { sqlStateOutcome } from '../../src/decoders/sqlstate.js';
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

/** Frame lines as the file source does, then decode each entry as the pipeline does. */
async function outcomes(lines: readonly string[], logLinePrefix?: string, decoder: Decoder = pgauditDecoder): Promise<string[]> {
  const ctx = decodeContext(logLinePrefix === undefined ? {} : { logLinePrefix });
  const framer = pgauditDecoder.createLogFramer!(ctx);
  const entries = [...lines.flatMap((l) => framer.line(l)), ...framer.end()];
  const out: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const d = await decodeRecord(decoder, { position: `p${i}`, value: Buffer.from(entry) }, ctx);
    if (d.kind === 'dead') out.push(`dead:${d.code}`);
    else if (d.skipped) out.push(`skip:${d.skipped}`);
    else out.push(...d.events.map((e) => `stmt:${(e as ActivityEvent).statementId}`));
  }
  return out;
}

const audit = (n: number | string, statement = `SELECT ${n}`) => `AUDIT: SESSION,${n},1,READ,SELECT,TABLE,shop.customer,${statement},<none>`;

describe('log_line_prefix: lenient where a field is not in its usual form', () => {
  const RDS = '%t:%r:%u@%d:[%p]:';
  const rds = (remote: string) => `2026-11-20 09:17:00 UTC:${remote}:dba@orders:[9100]:LOG:  ${audit(1)}`;
  // prefix, line, what the event says
  const table: [string, string, { remoteHost?: string | null; remotePort?: string | null; dbUser?: string | null; clientApplication?: string | null; pid?: string | null; unusual?: string[] }][] = [
    [RDS, rds('10.0.0.5(5432)'), { remoteHost: '10.0.0.5', remotePort: '5432', dbUser: 'dba' }],
    [RDS, rds('[local]'), { remoteHost: '[local]', remotePort: null, dbUser: 'dba' }],
    [RDS, rds('10.0.0.5'), { remoteHost: '10.0.0.5', remotePort: null, dbUser: 'dba' }],
    [RDS, rds('db-client.example.com(41000)'), { remoteHost: 'db-client.example.com', remotePort: '41000' }],
    [RDS, rds('2001:db8::17(60422)'), { remoteHost: '2001:db8::17', remotePort: '60422', dbUser: 'dba' }],
    [RDS, rds('fe80::1%eth0(5432)'), { remoteHost: 'fe80::1%eth0', remotePort: '5432' }],
    [RDS, rds('::1'), { remoteHost: '::1', remotePort: null, dbUser: 'dba' }],
    [RDS, rds(''), { remoteHost: null, remotePort: null, dbUser: 'dba' }],
    [RDS, rds('odd host(5432)'), { remoteHost: 'odd host', remotePort: '5432', dbUser: 'dba', unusual: ['remote'] }],
    [RDS, rds('(weird)'), { remoteHost: '(weird)', remotePort: null, dbUser: 'dba', unusual: ['remote'] }],
    ['%m [%p] %r %a ', `2026-11-21 09:00:01.000 UTC [3001] [local] psql ${'LOG'}:  ${audit(1)}`, { remoteHost: '[local]', clientApplication: 'psql' }],
    ['%m [%p] %r %a ', `2026-11-21 09:00:01.000 UTC [3001] 10.0.0.5 my app: LOG (x) LOG:  ${audit(1)}`, { remoteHost: '10.0.0.5', clientApplication: 'my app: LOG (x)' }],
    ['%m [%p] %h|%a|', `2026-11-21 09:00:01.000 UTC [3001] h%x|a,b"c|LOG:  ${audit(1)}`, { remoteHost: 'h%x', clientApplication: 'a,b"c' }],
    ['%m [%p] %h|%a|', `2026-11-21 09:00:01.000 UTC [3001] odd host|app|LOG:  ${audit(1)}`, { remoteHost: 'odd host', clientApplication: 'app', unusual: ['host'] }],
    // an escape this reader does not know: PostgreSQL prints nothing, a newer server may print a word
    ['%m [%p] %Y%u ', `2026-11-21 09:00:01.000 UTC [3001] alice LOG:  ${audit(1)}`, { dbUser: 'alice' }],
    ['%m [%p] %Y %u ', `2026-11-21 09:00:01.000 UTC [3001] something alice LOG:  ${audit(1)}`, { dbUser: 'alice' }],
    // a pid that is not a number is dropped, not stored as if real
    ['%m [%p] %u ', `2026-11-21 09:00:01.000 UTC [?] alice LOG:  ${audit(1)}`, { pid: null, dbUser: 'alice', unusual: ['pid'] }],
    ['%m [%p] %u ', `2026-11-21 09:00:01.000 UTC [3001] alice LOG:  ${audit(1)}`, { pid: '3001', dbUser: 'alice' }],
  ];
  for (const [prefix, line, want] of table) {
    it(`${prefix} reads ${JSON.stringify(line.slice(0, line.indexOf('LOG:  ')))}`, async () => {
      const d = await decodeRecord(pgauditDecoder, { position: 'p', value: Buffer.from(line) }, decodeContext({ logLinePrefix: prefix }));
      expect(d.kind).toBe('events');
      const e = (d.kind === 'events' ? d.events[0] : undefined) as ActivityEvent;
      const { unusual, ...fields } = want;
      expect(e).toMatchObject(fields);
      expect(e.commandText).toBe('SELECT 1');
      expect(e.extra['unusualPrefixFields']).toEqual(unusual);
    });
  }

  it('tries every prefix strictly before any leniently', () => {
    // The README prefix would take this PostgreSQL-default line leniently only if it were tried first that way.
    const m = prefixSetFor(undefined).match('2026-01-01 00:00:00.000 UTC [42] LOG:  x');
    expect(m).toEqual({ values: { timeMs: '2026-01-01 00:00:00.000 UTC', pid: '42' }, severity: 'LOG', message: 'x' });
  });
});

describe('skip or dead letter: only what is proven not to be audit data is skipped', () => {
  const P = '%m [%p] ';
  const at = (rest: string) => `2026-11-21 09:00:01.000 UTC [3001] ${rest}`;
  const csv = (message: string, extra = ',,,,,,,,,"psql","client backend",,0') =>
    `2026-10-07 12:00:01.000 UTC,"ops","app",500,"10.0.0.9:40000",6a6fe000.1f4,1,"SELECT",2026-10-07 11:59:59 UTC,2/10,0,LOG,00000,${message}${extra}`;
  const table: [string, string, string][] = [
    ['another kind of log line', at('LOG:  checkpoint starting: time'), 'skip:NOT_AUDIT'],
    ['a STATEMENT line', at('STATEMENT:  SELECT 1'), 'skip:NOT_AUDIT'],
    ['AUDIT text at a severity pgAudit cannot log at', at(`ERROR:  ${audit(1)}`), 'skip:NOT_AUDIT'],
    ['text with no AUDIT: at all', 'could not open file "x": No such file or directory', 'skip:NOT_AUDIT'],
    ['a csvlog record of another kind', csv('"checkpoint starting"'), 'skip:NOT_AUDIT'],
    ['an audit entry', at(`LOG:  ${audit(1)}`), 'stmt:1'],
    ['an AUDIT: message without its space', at('LOG:  AUDIT:SESSION,1,1,READ,SELECT,,,SELECT 1,<none>'), `dead:${ErrorCode.UNDECODABLE_RECORD}`],
    ['a truncated AUDIT line', at('LOG:  AUDIT: SESSION,1,1,READ,SEL'), `dead:${ErrorCode.UNDECODABLE_RECORD}`],
    ['an AUDIT line whose prefix matches nothing', `<<garbled>> LOG:  ${audit(1)}`, `dead:${ErrorCode.UNDECODABLE_RECORD}`],
    ['AUDIT: with no severity at all', `garbage ${audit(1)}`, `dead:${ErrorCode.UNDECODABLE_RECORD}`],
    ['an AUDIT line with a damaged payload type', at('LOG:  AUDIT: SESSON,1,1,READ,SELECT,,,SELECT 1,<none>'), `dead:${ErrorCode.UNDECODABLE_RECORD}`],
    ['a csvlog record cut short before its message', '2026-10-07 12:00:01.000 UTC,"ops","app",500,', `dead:${ErrorCode.UNDECODABLE_RECORD}`],
    ['a csvlog record with too few columns', csv('"checkpoint starting"', ',,,'), `dead:${ErrorCode.UNDECODABLE_RECORD}`],
  ];
  for (const [what, line, want] of table) {
    it(`${what} → ${want}`, async () => {
      expect(await outcomes([line], P)).toEqual([want]);
    });
  }
});

describe('a damaged entry costs only itself, never its neighbours', () => {
  it('stderr: a damaged line between good ones is its own entry', async () => {
    const P = '%m [%p] %u@%d %r ';
    const at = (n: number, rest: string) => `2026-11-21 09:00:0${n}.000 UTC [3001] alice@shop 10.0.0.5(5432) ${rest}`;
    const lines = [
      at(1, `LOG:  ${audit(1)}`),
      at(2, `LOG:  ${audit(2, '"SELECT 2')}`), // unbalanced quote
      at(3, `LOG:  ${audit(3)}`),
      `garbage ${audit(4)}`, // no prefix, no severity: used to be merged into the entry before
      at(5, `LOG:  ${audit(5, '"SELECT 5\n\tFROM x"')}`).split('\n')[0]!,
      '\tFROM x",<none>',
      '2026-11-21 09:00:0', // a line cut short
      at(6, `LOG:  ${audit(6)}`),
      '2026-11-21 09:00:07.000 UTC [3001] alice@shop [local] LOG:  AUDIT: SESSION,7,1,READ,SEL', // truncated
      '2026-11-21 09:00:08.000 UTC [3001] alice@shop [local] LOG:  ' + audit(8),
      'other prefix 10:00 LOG:  statement: SELECT 9',
      at(9, `LOG:  ${audit(9)}`),
    ];
    expect(await outcomes(lines, P)).toEqual([
      'stmt:1', `dead:${ErrorCode.UNDECODABLE_RECORD}`, 'stmt:3', `dead:${ErrorCode.UNDECODABLE_RECORD}`, 'stmt:5',
      'skip:NOT_AUDIT', 'stmt:6', `dead:${ErrorCode.UNDECODABLE_RECORD}`, 'stmt:8', 'skip:NOT_AUDIT', 'stmt:9',
    ]);
  });

  const record = (n: number, message: string) =>
    `2026-10-07 12:00:0${n}.000 UTC,"ops","app",500,"10.0.0.9:40000",6a6fe000.1f4,${n},"SELECT",2026-10-07 11:59:59 UTC,2/10,0,LOG,00000,"${message}",,,,,,,,,"ops-cli","client backend",,0`;
  const good = (n: number) => record(n, audit(n));
  // cut inside the quoted message: its quote never closes
  const broken = (n: number) => good(n).slice(0, good(n).indexOf(',<none>'));

  it('csvlog: a record with an unbalanced quote does not swallow the records after it', async () => {
    expect(await outcomes([good(1), broken(2), good(3), good(4), good(5)])).toEqual([
      'stmt:1', `dead:${ErrorCode.UNDECODABLE_RECORD}`, 'stmt:3', 'stmt:4', 'stmt:5',
    ]);
  });

  it('csvlog: resynchronises before a multi-line record, and at the end of the file', async () => {
    const multi = record(6, audit(6, '""SELECT 6\nFROM shop.customer""')).split('\n');
    expect(await outcomes([good(1), broken(2), ...multi, good(7), broken(8)])).toEqual([
      'stmt:1', `dead:${ErrorCode.UNDECODABLE_RECORD}`, 'stmt:6', 'stmt:7', `dead:${ErrorCode.UNDECODABLE_RECORD}`,
    ]);
    expect(await outcomes([broken(1), broken(2), good(3)])).toEqual([
      `dead:${ErrorCode.UNDECODABLE_RECORD}`, `dead:${ErrorCode.UNDECODABLE_RECORD}`, 'stmt:3',
    ]);
  });

  it('csvlog: a valid record whose statement holds a line that looks like a record is never cut (no forged entry)', async () => {
    // quotes doubled twice: once in the AUDIT payload's STATEMENT field, once in the csvlog message column
    const forged = good(9).replace(/"/g, '""""');
    const multi = record(6, audit(6, `""SELECT 6\n${forged}\nFROM x""`)).split('\n');
    expect(multi).toHaveLength(3);
    const events: ActivityEvent[] = [];
    const ctx = decodeContext();
    const framer = pgauditDecoder.createLogFramer!(ctx);
    for (const entry of [...[good(1), ...multi, good(7)].flatMap((l) => framer.line(l)), ...framer.end()]) {
      const d = await decodeRecord(pgauditDecoder, { position: entry, value: Buffer.from(entry) }, ctx);
      if (d.kind === 'events') events.push(...(d.events as ActivityEvent[]));
    }
    expect(events.map((e) => e.statementId)).toEqual(['1', '6', '7']);
    expect(events[1]!.commandText).toBe(`SELECT 6\n${good(9)}\nFROM x`);
    expect(multi[1]!.startsWith('2026-10-07 12:00:09.000 UTC,')).toBe(true);
  });
});

describe('success: SQLSTATE 00000 is no error', () => {
  const P = '%m [%p] %e ';
  // SQLSTATE, class, success as the warehouse reads it (class ERROR or AUTH_FAILURE: a failure)
  const table: [string | null, string][] = [
    ['00000', 'READ'],
    ['01000', 'READ'], // pgaudit.log_level = warning
    ['02000', 'READ'],
    ['42P01', 'ERROR'],
    ['28P01', 'AUTH_FAILURE'],
    [null, 'READ'],
  ];
  for (const [state, cls] of table) {
    it(`stderr %e ${state} → ${cls}`, async () => {
      const line = `2026-11-21 09:00:01.000 UTC [3001] ${state ?? ''} LOG:  ${audit(1)}`;
      const ctx = decodeContext({ logLinePrefix: state === null ? '%m [%p] ' : P });
      const d = await decodeRecord(pgauditDecoder, { position: 'p', value: Buffer.from(line.replace(' null', '').replace('  LOG', ' LOG')) }, ctx);
      const e = (d.kind === 'events' ? d.events[0] : undefined) as ActivityEvent;
      expect({ class: e.class, rawClass: e.rawClass, exitCode: e.exitCode }).toEqual({ class: cls, rawClass: 'READ', exitCode: state });
    });
  }

  it('csvlog sql_state_code 00000 → READ, 42P01 → ERROR', async () => {
    const rec = (state: string) =>
      `2026-10-07 12:00:01.000 UTC,"ops","app",500,"10.0.0.9:40000",6a6fe000.1f4,1,"SELECT",2026-10-07 11:59:59 UTC,2/10,0,LOG,${state},"${audit(1)}",,,,,,,,,"ops-cli","client backend",,0`;
    for (const [state, cls] of [['00000', 'READ'], ['42P01', 'ERROR']] as const) {
      const d = await decodeRecord(pgauditDecoder, { position: 'p', value: Buffer.from(rec(state)) }, decodeContext());
      expect(d.kind === 'events' && (d.events[0] as ActivityEvent).class).toBe(cls);
    }
  });

  it('reads SQLSTATE outcomes by class, and claims nothing for what is not a SQLSTATE', () => {
    expect(['00000', '01000', '01003', '02000', '42P01', '28000', '28P01', '57014', 'XX000', '0', '', 'nope', null].map(sqlStateOutcome)).toEqual([
      'success', 'success', 'success', 'success', 'failure', 'auth-failure', 'auth-failure', 'failure', 'failure', null, null, null, null,
    ]);
  });
});

describe('--format auto: text no log format recognizes is a dead letter, not a skip', () => {
  const auto = async () => (await import('../../src/decoders/registry.js')).loadDecoder('auto');
  const table: [string, string][] = [
    ['prose', `dead:${ErrorCode.UNKNOWN_FORMAT}`],
    ['id,name,email', `dead:${ErrorCode.UNKNOWN_FORMAT}`],
    ['42', `dead:${ErrorCode.UNKNOWN_FORMAT}`],
    ['"a json string"', `dead:${ErrorCode.UNKNOWN_FORMAT}`],
    ['2026-11-21 09:00:01.000 UTC [3001] LOG:  checkpoint starting: time', 'skip:NOT_AUDIT'],
    [`2026-11-21 09:00:01.000 UTC [3001] LOG:  ${audit(1)}`, 'stmt:1'],
    [`garbage ${audit(1)}`, `dead:${ErrorCode.UNDECODABLE_RECORD}`],
  ];
  for (const [text, want] of table) {
    it(`${JSON.stringify(text.slice(0, 40))} → ${want}`, async () => {
      const d = await decodeRecord(await auto(), { position: 'p', value: Buffer.from(text) }, decodeContext());
      const got = d.kind === 'dead' ? `dead:${d.code}` : d.skipped ? `skip:${d.skipped}` : `stmt:${(d.events[0] as ActivityEvent).statementId}`;
      expect(got).toBe(want);
    });
  }
});
