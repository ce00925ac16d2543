import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlgorithmSuiteIdentifier } from '@aws-crypto/client-node';
import { decodeContext } from '../../src/decoders/context.js';
import type { DataKeyProvider, DecodeContext } from '../../src/decoders/decoder.js';
import type { RawRecord } from '../../src/contracts/records.js';
import { classifyDasEvent, exitCodeFailed, type ClassifyInput } from '../../src/decoders/das/classify.js';
import { dasDecoder } from '../../src/decoders/das/decoder.js';
import { createKmsKeyProvider, type KmsDecryptClient } from '../../src/decoders/das/kms-key-provider.js';
import { statementClass } from '../../src/decoders/das/statement-class.js';
import { parseDasTimestamp } from '../../src/decoders/das/timestamp.js';
import { decodeRecord } from '../../src/ingest/decode-record.js';
import type { ActivityEvent } from '../../src/model/events.js';
import {
  DAS_PLAINTEXT_MYSQL,
  DAS_PLAINTEXT_PG,
  DAS_TEST_DATA_KEY_HEX,
  DAS_TEST_KEY_BLOB,
  DAS_TEST_RESOURCE_ID,
  DAS_TEST_STREAM,
  dasTestDataKey,
  encryptDasPayload,
  encryptedKinesisRecord,
  keyProviderFor,
  testKeyProvider,
  writeEncryptedFixtures,
  type KeyProviderCall,
} from '../helpers/das-crypto.js';
import { comparable, decodeFixture, FIXTURES, fixtureCases, recordsOf, expectDecodedAsExpected } from '../helpers/fixtures.js';

if (process.env.DAS_REGENERATE_FIXTURES) await writeEncryptedFixtures(join(FIXTURES, 'das'));

const rec = (value: string | Buffer | null, extra: Partial<RawRecord> = {}): RawRecord => ({
  position: 'test:1',
  value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
  ...extra,
});
const ctxWith = (extra: Partial<DecodeContext> = {}) => decodeContext(extra);
const keyed = (calls?: KeyProviderCall[]) =>
  ctxWith({ dasResourceId: DAS_TEST_RESOURCE_ID, keyProvider: testKeyProvider(calls ? { calls } : {}) });

async function decodeEvents(value: string, ctx: DecodeContext, extra: Partial<RawRecord> = {}): Promise<ActivityEvent[]> {
  const result = await dasDecoder.decode(rec(value, extra), ctx);
  return result.events as ActivityEvent[];
}

async function deadLetter(value: string, ctx: DecodeContext, extra: Partial<RawRecord> = {}) {
  const d = await decodeRecord(dasDecoder, rec(value, extra), ctx);
  if (d.kind !== 'dead') throw new Error(`expected a dead letter, got ${JSON.stringify(d)}`);
  return d;
}

// ------------------------------------------------------------------------------------------ golden fixtures

describe('DAS golden fixtures (test/fixtures/das)', () => {
  const cases = fixtureCases('das');

  it('has one fixture per documented shape', () => {
    expect(cases.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'aurora-pg-1.0-session', 'aurora-pg-1.1-session', 'doc-form-connect', 'aurora-mysql-1.2-main-aux', 'rds-oracle-1.3',
        'rds-sqlserver-1.4', 'heartbeat-only', 'heartbeat-mixed', 'bare-event', 'event-array', 'encrypted-kinesis',
        'encrypted-kcat-envelope', 'encrypted-wrong-key', 'encrypted-no-key-provider', 'not-das',
      ]),
    );
  });

  for (const c of cases) {
    it(c.name, async () => {
      const keyProvider = keyProviderFor(c.expected.context as { keyProviderFixture?: string } | undefined);
      const got = await decodeFixture(c, dasDecoder, keyProvider ? { keyProvider } : {});
      expectDecodedAsExpected(got, c.expected);
    });
  }

  it('the committed encrypted fixtures hold exactly the helper plaintexts, under the test data key', async () => {
    const calls: KeyProviderCall[] = [];
    const c = cases.find((x) => x.name === 'encrypted-kinesis')!;
    const records = await recordsOf(c.input, dasDecoder, ctxWith());
    expect(records).toHaveLength(2);
    for (const [i, plaintext] of [DAS_PLAINTEXT_PG, DAS_PLAINTEXT_MYSQL].entries()) {
      const outer = JSON.parse(records[i]!.value!.toString('utf8'));
      expect(outer).toMatchObject({ type: 'DatabaseActivityMonitoringRecords', key: DAS_TEST_KEY_BLOB.toString('base64') });
      expect(outer.databaseActivityEvents).toMatch(/^[A-Za-z0-9+/]+=*$/);
      // A plaintext copy of the same record decodes to the same events as the encrypted one.
      const plain = await decodeEvents(JSON.stringify({ ...outer, databaseActivityEvents: plaintext }), ctxWith({ dasResourceId: DAS_TEST_RESOURCE_ID }));
      const encrypted = await decodeEvents(records[i]!.value!.toString('utf8'), keyed(calls));
      expect(encrypted.map(comparable)).toEqual(plain.map(comparable));
    }
    expect(calls).toHaveLength(2);
  });
});

// ------------------------------------------------------------------------------------------ timestamps

describe('parseDasTimestamp', () => {
  it.each([
    ['2019-10-30 00:39:49.990579+00', '2019-10-30T00:39:49.990Z'], // Aurora: µs, +00
    ['2019-12-31 23:59:59.999999+00', '2019-12-31T23:59:59.999Z'], // truncated, never rounded into the next year
    ['2019-10-30 00:39:49.000999+00', '2019-10-30T00:39:49.000Z'],
    ['2021-01-15 00:15:36.233787', '2021-01-15T00:15:36.233Z'], // RDS Oracle: no zone = UTC
    ['2022-10-06 21:24:59.9422268+00', '2022-10-06T21:24:59.942Z'], // RDS SQL Server: 7 digits
    ['2022-10-06 21:46:00.5+00', '2022-10-06T21:46:00.500Z'],
    ['2019-10-30 00:39:49+00', '2019-10-30T00:39:49.000Z'],
    ['2019-10-30 05:39:49.5+05:30', '2019-10-30T00:09:49.500Z'],
    ['2019-10-30 00:39:49.25-08', '2019-10-30T08:39:49.250Z'],
    ['2019-10-30 00:39:49.25-0800', '2019-10-30T08:39:49.250Z'],
    ['2019-10-30T00:39:49.123Z', '2019-10-30T00:39:49.123Z'],
    ['2024-02-29 12:00:00.000000+00', '2024-02-29T12:00:00.000Z'],
  ])('%s → %s', (input, iso) => {
    expect(parseDasTimestamp(input)?.toISOString()).toBe(iso);
  });

  it.each([['2023-02-29 12:00:00+00'], ['2019-10-30 24:00:00+00'], ['2019-13-01 00:00:00+00'], ['yesterday'], [''], [null], [1572395989], [undefined]])(
    'rejects %j',
    (input) => expect(parseDasTimestamp(input)).toBeNull(),
  );
});

// ------------------------------------------------------------------------------------------ class normalization

describe('class normalization', () => {
  const base: ClassifyInput = { engine: 'postgresql', rawClass: null, command: null, commandText: null, exitCode: null, errorMessage: null };
  it.each<[string, Partial<ClassifyInput>, string]>([
    // Aurora PostgreSQL: the class is already a normalized one
    ['pg READ', { rawClass: 'READ', command: 'SELECT' }, 'READ'],
    ['pg WRITE', { rawClass: 'WRITE', command: 'INSERT' }, 'WRITE'],
    ['pg DDL', { rawClass: 'DDL', command: 'CREATE TABLE' }, 'DDL'],
    ['pg ROLE', { rawClass: 'ROLE', command: 'GRANT' }, 'ROLE'],
    ['pg FUNCTION', { rawClass: 'FUNCTION', command: 'SELECT' }, 'FUNCTION'],
    ['pg MISC', { rawClass: 'MISC', command: 'VACUUM' }, 'MISC'],
    ['pg MISC_SET', { rawClass: 'MISC_SET', command: 'SET' }, 'MISC'],
    ['pg ALL falls back to the command', { rawClass: 'ALL', command: 'UPDATE' }, 'WRITE'],
    ['pg NONE, unknown command', { rawClass: 'NONE', command: 'FROBNICATE' }, 'OTHER'],
    ['pg connect with class CONNECT', { rawClass: 'CONNECT', command: 'CONNECT' }, 'CONNECT'],
    ['pg connect with class MISC (doc sample)', { rawClass: 'MISC', command: 'CONNECT' }, 'CONNECT'],
    ['pg disconnect', { rawClass: 'CONNECT', command: 'DISCONNECT', exitCode: '0' }, 'DISCONNECT'],
    ['pg disconnect after a crash keeps DISCONNECT', { rawClass: 'CONNECT', command: 'DISCONNECT', exitCode: '1' }, 'DISCONNECT'],
    ['pg error by errorMessage', { rawClass: 'READ', command: 'SELECT', errorMessage: 'relation "x" does not exist', exitCode: '42P01' }, 'ERROR'],
    ['pg error by SQLSTATE only (1.0)', { rawClass: 'WRITE', command: 'INSERT', exitCode: '23505' }, 'ERROR'],
    ['pg SQLSTATE 00000 is success', { rawClass: 'WRITE', command: 'INSERT', exitCode: '00000' }, 'WRITE'],
    ['pg blank errorMessage is no error', { rawClass: 'READ', command: 'SELECT', errorMessage: '  ' }, 'READ'],
    ['pg auth failure: connect with error', { rawClass: 'CONNECT', command: 'CONNECT', exitCode: '28P01', errorMessage: 'password authentication failed for user "m"' }, 'AUTH_FAILURE'],
    ['pg auth failure: SQLSTATE class 28 alone', { rawClass: 'MISC', command: 'AUTHENTICATE', exitCode: '28000' }, 'AUTH_FAILURE'],
    ['pg auth failure: message alone', { rawClass: 'MISC', command: null, errorMessage: 'PAM authentication failed for user "m"' }, 'AUTH_FAILURE'],
    // Aurora MySQL: MAIN by statement verb, AUX by command
    ['mysql MAIN QUERY INSERT', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'INSERT INTO t VALUES (1)', exitCode: '0' }, 'WRITE'],
    ['mysql MAIN QUERY UPDATE', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'update t set a=1', exitCode: '0' }, 'WRITE'],
    ['mysql MAIN QUERY DELETE', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: ' DELETE FROM t', exitCode: '0' }, 'WRITE'],
    ['mysql MAIN QUERY SELECT', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'SELECT 1', exitCode: '0' }, 'READ'],
    ['mysql MAIN QUERY CREATE', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'CREATE TABLE t (id INT)', exitCode: '0' }, 'DDL'],
    ['mysql MAIN QUERY ALTER', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'ALTER TABLE t ADD c INT', exitCode: '0' }, 'DDL'],
    ['mysql MAIN QUERY DROP', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'DROP TABLE t', exitCode: '0' }, 'DDL'],
    ['mysql MAIN QUERY GRANT', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'GRANT SELECT ON d.t TO u', exitCode: '0' }, 'ROLE'],
    ['mysql MAIN QUERY CREATE USER', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: "CREATE USER \\'u\\'@\\'%\\'", exitCode: '0' }, 'ROLE'],
    ['mysql MAIN QUERY SET PASSWORD', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'SET PASSWORD = ***', exitCode: '0' }, 'ROLE'],
    ['mysql MAIN QUERY CALL', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'CALL p()', exitCode: '0' }, 'FUNCTION'],
    ['mysql MAIN QUERY COMMIT', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'COMMIT', exitCode: '0' }, 'MISC'],
    ['mysql MAIN QUERY unknown', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'FROB', exitCode: '0' }, 'OTHER'],
    ['mysql MAIN CONNECT', { engine: 'mysql', rawClass: 'MAIN', command: 'CONNECT', commandText: '', exitCode: '0' }, 'CONNECT'],
    ['mysql MAIN DISCONNECT', { engine: 'mysql', rawClass: 'MAIN', command: 'DISCONNECT', exitCode: '0' }, 'DISCONNECT'],
    ['mysql MAIN CHANGEUSER', { engine: 'mysql', rawClass: 'MAIN', command: 'CHANGEUSER', exitCode: '0' }, 'MISC'],
    ['mysql FAILED_CONNECT', { engine: 'mysql', rawClass: 'MAIN', command: 'FAILED_CONNECT', exitCode: '1045' }, 'AUTH_FAILURE'],
    ['mysql CONNECT with 1045', { engine: 'mysql', rawClass: 'MAIN', command: 'CONNECT', exitCode: '1045' }, 'AUTH_FAILURE'],
    ['mysql MAIN error', { engine: 'mysql', rawClass: 'MAIN', command: 'QUERY', commandText: 'SELEC 1', exitCode: '1064', errorMessage: 'syntax' }, 'ERROR'],
    ['mysql AUX READ', { engine: 'mysql', rawClass: 'AUX', command: 'READ', exitCode: null }, 'READ'],
    ['mysql AUX WRITE', { engine: 'mysql', rawClass: 'AUX', command: 'WRITE' }, 'WRITE'],
    ['mysql AUX CREATE', { engine: 'mysql', rawClass: 'AUX', command: 'CREATE' }, 'DDL'],
    ['mysql AUX DROP', { engine: 'mysql', rawClass: 'AUX', command: 'DROP' }, 'DDL'],
    ['mysql AUX RENAME', { engine: 'mysql', rawClass: 'AUX', command: 'RENAME' }, 'DDL'],
    // RDS Oracle: Standard, by ACTION_NAME; RETURN_CODE nonzero = failure
    ['oracle LOGON', { engine: 'oracle', rawClass: 'Standard', command: 'LOGON', exitCode: '0' }, 'CONNECT'],
    ['oracle LOGON 1017', { engine: 'oracle', rawClass: 'Standard', command: 'LOGON', exitCode: '1017' }, 'AUTH_FAILURE'],
    ['oracle LOGOFF', { engine: 'oracle', rawClass: 'Standard', command: 'LOGOFF', exitCode: '0' }, 'DISCONNECT'],
    ['oracle LOGOFF BY CLEANUP', { engine: 'oracle', rawClass: 'Standard', command: 'LOGOFF BY CLEANUP', exitCode: '0' }, 'DISCONNECT'],
    ['oracle SELECT', { engine: 'oracle', rawClass: 'Standard', command: 'SELECT', exitCode: '0' }, 'READ'],
    ['oracle INSERT', { engine: 'oracle', rawClass: 'Standard', command: 'INSERT', exitCode: '0' }, 'WRITE'],
    ['oracle TRUNCATE TABLE', { engine: 'oracle', rawClass: 'Standard', command: 'TRUNCATE TABLE', exitCode: '0' }, 'WRITE'],
    ['oracle CREATE TABLE', { engine: 'oracle', rawClass: 'Standard', command: 'CREATE TABLE', exitCode: '0' }, 'DDL'],
    ['oracle CREATE USER', { engine: 'oracle', rawClass: 'Standard', command: 'CREATE USER', exitCode: '0' }, 'ROLE'],
    ['oracle ALTER USER', { engine: 'oracle', rawClass: 'Standard', command: 'ALTER USER', exitCode: '0' }, 'ROLE'],
    ['oracle GRANT', { engine: 'oracle', rawClass: 'Standard', command: 'GRANT', exitCode: '0' }, 'ROLE'],
    ['oracle EXECUTE', { engine: 'oracle', rawClass: 'Standard', command: 'EXECUTE', exitCode: '0' }, 'FUNCTION'],
    ['oracle failed SELECT (ORA-00942)', { engine: 'oracle', rawClass: 'Standard', command: 'SELECT', exitCode: '942' }, 'ERROR'],
    // RDS SQL Server: `succeeded` — 1 success, 0 failure
    ['sqlserver LOGIN SUCCEEDED', { engine: 'sqlserver', rawClass: 'LOGIN', command: 'LOGIN SUCCEEDED', exitCode: '1' }, 'CONNECT'],
    ['sqlserver LOGIN FAILED', { engine: 'sqlserver', rawClass: 'LOGIN', command: 'LOGIN FAILED', exitCode: '0' }, 'AUTH_FAILURE'],
    ['sqlserver LOGOUT', { engine: 'sqlserver', rawClass: 'LOGIN', command: 'LOGOUT', exitCode: '1' }, 'DISCONNECT'],
    ['sqlserver TABLE SELECT', { engine: 'sqlserver', rawClass: 'TABLE', command: 'SELECT', exitCode: '1' }, 'READ'],
    ['sqlserver TABLE UPDATE', { engine: 'sqlserver', rawClass: 'TABLE', command: 'UPDATE', exitCode: '1' }, 'WRITE'],
    ['sqlserver TABLE EXECUTE', { engine: 'sqlserver', rawClass: 'OBJECT', command: 'EXECUTE', exitCode: '1' }, 'FUNCTION'],
    ['sqlserver SCHEMA ALTER', { engine: 'sqlserver', rawClass: 'SCHEMA', command: 'ALTER', exitCode: '1' }, 'DDL'],
    ['sqlserver SERVER ROLE', { engine: 'sqlserver', rawClass: 'SERVER ROLE', command: 'ADD MEMBER', exitCode: '1' }, 'ROLE'],
    ['sqlserver permission denied', { engine: 'sqlserver', rawClass: 'TABLE', command: 'DELETE', exitCode: '0' }, 'ERROR'],
    // Engine unknown (bare events without server fields): exitCode cannot be read, errorMessage can
    ['unknown engine, PG-like class', { engine: null, rawClass: 'WRITE', command: 'UPDATE', exitCode: '0' }, 'WRITE'],
    ['unknown engine, exitCode ignored', { engine: null, rawClass: 'TABLE', command: 'SELECT', exitCode: '0' }, 'READ'],
    ['unknown engine, errorMessage', { engine: null, rawClass: 'TABLE', command: 'SELECT', errorMessage: 'denied' }, 'ERROR'],
  ])('%s', (_name, input, expected) => {
    expect(classifyDasEvent({ ...base, ...input })).toBe(expected);
  });

  it.each<[unknown, string | null]>([
    ['SELECT * FROM t', 'READ'],
    ['  /* hint */ -- note\n select 1', 'READ'],
    ['(SELECT 1) UNION (SELECT 2)', 'READ'],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'READ'],
    ['WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x', 'WRITE'],
    ['TABLE orders', 'READ'],
    ['COPY t FROM STDIN', 'WRITE'],
    ['COPY t (a, b) TO STDOUT', 'READ'],
    ['COPY (SELECT * FROM t) TO STDOUT', 'READ'],
    ['MERGE INTO t USING s ON (1=1)', 'WRITE'],
    ['REPLACE INTO t VALUES (1)', 'WRITE'],
    ['TRUNCATE t', 'WRITE'],
    ['LOAD DATA INFILE "x" INTO TABLE t', 'WRITE'],
    ['CREATE OR REPLACE VIEW v AS SELECT 1', 'DDL'],
    ['CREATE GLOBAL TEMPORARY TABLE t (a int)', 'DDL'],
    ['CREATE ROLE r', 'ROLE'],
    ['DROP USER IF EXISTS u', 'ROLE'],
    ['ALTER ROLE payments_svc WITH password', 'ROLE'],
    ['REVOKE ALL ON t FROM u', 'ROLE'],
    ['RENAME TABLE a TO b', 'DDL'],
    ['COMMENT ON TABLE t IS \'x\'', 'DDL'],
    ['CALL p(1)', 'FUNCTION'],
    ['DO $$ BEGIN END $$', 'FUNCTION'],
    ['EXECUTE stmt', 'FUNCTION'],
    ['BEGIN', 'MISC'],
    ['SET search_path = x', 'MISC'],
    ['SHOW TABLES', 'MISC'],
    ['CREATE TABLE', 'DDL'], // a command name (Oracle ACTION_NAME, PostgreSQL command)
    ['', null],
    ['FROBNICATE', null],
    [null, null],
    [42, null],
  ])('statementClass(%j) = %j', (sql, expected) => {
    expect(statementClass(sql)).toBe(expected);
  });

  it.each<[Parameters<typeof exitCodeFailed>[0], string | null, boolean]>([
    ['postgresql', null, false], ['postgresql', '0', false], ['postgresql', '00000', false], ['postgresql', '42P01', true],
    ['mysql', '', false], ['mysql', '0', false], ['mysql', '1064', true],
    ['oracle', '0', false], ['oracle', '1017', true],
    ['sqlserver', '1', false], ['sqlserver', '0', true],
    [null, '1', false], [null, '0', false],
  ])('exitCodeFailed(%s, %j) = %s', (engine, code, failed) => {
    expect(exitCodeFailed(engine, code)).toBe(failed);
  });
});

// ------------------------------------------------------------------------------------------ decoding rules

const mysqlRecord = (cls: 'MAIN' | 'AUX', statementId: number, sessionId = '726571') =>
  JSON.stringify({
    type: 'DatabaseActivityMonitoringRecord',
    instanceId: 'db-INSTANCEA',
    databaseActivityEventList: [
      {
        type: 'record', class: cls, command: cls === 'MAIN' ? 'QUERY' : 'WRITE', commandText: cls === 'MAIN' ? 'DELETE FROM t' : 't',
        logTime: '2020-05-22 18:29:57.986467+00', statementId, substatementId: cls === 'MAIN' ? 1 : 2, sessionId,
        dbUserName: 'app', serverHost: 'inst-a', serverType: 'MySQL', exitCode: cls === 'MAIN' ? '0' : '', transactionId: '0',
      },
    ],
  });

describe('DAS decoding', () => {
  it('links Aurora MySQL AUX to MAIN through extra.statementKey, whichever arrives first', async () => {
    const ctx = ctxWith();
    const [main] = await decodeEvents(mysqlRecord('MAIN', 9), ctx);
    const [aux] = await decodeEvents(mysqlRecord('AUX', 9), ctx);
    const [other] = await decodeEvents(mysqlRecord('AUX', 10), ctx);
    const [otherSession] = await decodeEvents(mysqlRecord('MAIN', 9, '1'), ctx);
    expect(main!.extra['statementKey']).toBe('db-INSTANCEA:726571:9');
    expect(aux!.extra['statementKey']).toBe(main!.extra['statementKey']);
    expect(other!.extra['statementKey']).toBe('db-INSTANCEA:726571:10');
    expect(otherSession!.extra['statementKey']).toBe('db-INSTANCEA:1:9');
    expect([main!.class, aux!.class]).toEqual(['WRITE', 'WRITE']);
    expect(main!.txId).toBeNull(); // transactionId "0"
  });

  it('skips a record of only heartbeats as HEARTBEAT, an empty one as EMPTY, a null value as TOMBSTONE', async () => {
    const heartbeats = JSON.stringify({ type: 'DatabaseActivityMonitoringRecord', databaseActivityEventList: [{ type: 'heartbeat' }, { type: 'heartbeat' }] });
    expect(await dasDecoder.decode(rec(heartbeats), ctxWith())).toEqual({ events: [], skipped: 'HEARTBEAT' });
    expect(await dasDecoder.decode(rec('{"type":"heartbeat"}'), ctxWith())).toEqual({ events: [], skipped: 'HEARTBEAT' });
    const empty = JSON.stringify({ type: 'DatabaseActivityMonitoringRecord', databaseActivityEventList: [] });
    expect(await dasDecoder.decode(rec(empty), ctxWith())).toEqual({ events: [], skipped: 'EMPTY' });
    expect(await dasDecoder.decode(rec(null), ctxWith())).toEqual({ events: [], skipped: 'TOMBSTONE' });
    expect(await dasDecoder.decode(rec('  \n'), ctxWith())).toEqual({ events: [], skipped: 'EMPTY' });
  });

  it('takes the server identity from clusterId, then --das-resource-id, then instanceId, then serverHost', async () => {
    const event = { type: 'record', class: 'READ', command: 'SELECT', dbUserName: 'u', logTime: '2020-01-01 00:00:00+00', serverHost: '10.0.0.1' };
    const inner = (clusterId?: string) =>
      JSON.stringify({ type: 'DatabaseActivityMonitoringRecord', ...(clusterId !== undefined ? { clusterId } : {}), instanceId: 'db-I', databaseActivityEventList: [event] });
    expect((await decodeEvents(inner('cluster-C'), ctxWith({ dasResourceId: 'cluster-R' })))[0]!.server).toBe('cluster-C');
    expect((await decodeEvents(inner(), ctxWith({ dasResourceId: 'cluster-R' })))[0]!.server).toBe('cluster-R');
    expect((await decodeEvents(inner(''), ctxWith()))[0]!.server).toBe('db-I');
    expect((await decodeEvents(JSON.stringify(event), ctxWith()))[0]!.server).toBe('10.0.0.1');
  });

  it('normalizes identifiers, empty strings and transaction ids', async () => {
    const [e] = await decodeEvents(
      JSON.stringify({
        type: 'record', class: 'MAIN', command: 'QUERY', commandText: 'UPDATE t SET a = 1', dbUserName: 'u', databaseName: '',
        logTime: '2020-01-01 00:00:00+00', serverType: 'MySQL', pid: 7, sessionId: 123, statementId: 5, substatementId: 1,
        remotePort: 3306, exitCode: '0', errorMessage: '', rowCount: '4', transactionId: '0000000', objectName: '', paramList: null,
      }),
      ctxWith(),
    );
    expect(e).toMatchObject({
      pid: '7', sessionId: '123', statementId: '5', substatementId: '1', remotePort: '3306', exitCode: '0', errorMessage: null,
      rowCount: 4, txId: null, database: null, objectName: null, parameters: null, class: 'WRITE',
    });
  });

  it('accepts databaseActivityEvents as JSON text in place of the ciphertext', async () => {
    const inner = { type: 'DatabaseActivityMonitoringRecord', clusterId: 'cluster-C', databaseActivityEventList: [{ class: 'READ', command: 'SELECT', dbUserName: 'u', logTime: '2020-01-01 00:00:00+00' }] };
    const events = await decodeEvents(JSON.stringify({ type: 'DatabaseActivityMonitoringRecords', version: '1.1', databaseActivityEvents: JSON.stringify(inner), key: 'decryption-key' }), ctxWith());
    expect(events.map((e) => [e.class, e.server, e.extra['version']])).toEqual([['READ', 'cluster-C', '1.1']]);
  });

  it.each([
    ['not JSON', '{"type": "DatabaseActivityMonitoringRecords", secret', /not valid JSON/],
    ['a JSON scalar', '42', /not a Database Activity Streams record/],
    ['a Maxwell row', '{"database":"d","table":"t","type":"insert","ts":1,"data":{"id":1}}', /not a Database Activity Streams record/],
    ['a list that is not an array', '{"type":"DatabaseActivityMonitoringRecord","databaseActivityEventList":{}}', /not an array/],
    ['a list item that is not an object', '{"type":"DatabaseActivityMonitoringRecord","databaseActivityEventList":[{"type":"heartbeat"}, 7]}', /\[1\] is not an object/],
    ['an outer record without events', '{"type":"DatabaseActivityMonitoringRecords","version":"1.1","key":"k"}', /no databaseActivityEvents/],
    ['ciphertext without a key', '{"type":"DatabaseActivityMonitoringRecords","version":"1.1","databaseActivityEvents":"AAAA"}', /no key/],
    ['a key that is not base64', '{"type":"DatabaseActivityMonitoringRecords","version":"1.1","databaseActivityEvents":"AAAA","key":"not base64!"}', /key is not base64/],
  ])('dead-letters %s as UNDECODABLE, without quoting the record', async (_name, value, message) => {
    const d = await deadLetter(value, keyed());
    expect(d.code).toBe('AUDITQL_UNDECODABLE_RECORD');
    expect(d.message).toMatch(message);
    expect(d.message).not.toContain('secret');
  });
});

// ------------------------------------------------------------------------------------------ decryption

describe('DAS decryption', () => {
  it('asks the key provider for the record key with the cluster encryption context, then decrypts', async () => {
    const calls: KeyProviderCall[] = [];
    const events = await decodeEvents(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), keyed(calls));
    expect(calls).toEqual([{ encryptedKey: DAS_TEST_KEY_BLOB, encryptionContext: { 'aws:rds:dbc-id': DAS_TEST_RESOURCE_ID } }]);
    expect(events.map((e) => [e.class, e.command, e.parameters])).toEqual([
      ['WRITE', 'INSERT', ['77', '1001', '19.99']],
      ['ROLE', 'ALTER ROLE', []],
    ]);
  });

  it('uses aws:rds:db-id for an RDS instance resource id', async () => {
    const calls: KeyProviderCall[] = [];
    const provider = testKeyProvider({ calls, expectedContext: { 'aws:rds:db-id': 'db-ABCDEF' } });
    const events = await decodeEvents(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctxWith({ dasResourceId: 'db-ABCDEF', keyProvider: provider }));
    expect(calls.map((c) => c.encryptionContext)).toEqual([{ 'aws:rds:db-id': 'db-ABCDEF' }]);
    expect(events).toHaveLength(2);
  });

  it('derives the resource id from a topic named after the Kinesis stream when --das-resource-id is absent', async () => {
    const calls: KeyProviderCall[] = [];
    const ctx = ctxWith({ keyProvider: testKeyProvider({ calls }) });
    const events = await decodeEvents(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctx, { topic: DAS_TEST_STREAM });
    expect(events).toHaveLength(2);
    expect(calls.map((c) => c.encryptionContext)).toEqual([{ 'aws:rds:dbc-id': DAS_TEST_RESOURCE_ID }]);
    const d = await deadLetter(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctx, { topic: 'das-events' });
    expect(d.code).toBe('AUDITQL_DECRYPTION_KEY_MISSING');
    expect(d.message).toMatch(/--das-resource-id/);
  });

  it('decrypts messages written with a committing algorithm suite too', async () => {
    const record = await encryptedKinesisRecord(DAS_PLAINTEXT_MYSQL, {
      version: '1.2',
      suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
    });
    expect((await decodeEvents(record, keyed())).map((e) => e.rawClass)).toEqual(['AUX', 'MAIN']);
  });

  it('dead-letters without a key provider as DECRYPTION_KEY_MISSING', async () => {
    const d = await deadLetter(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctxWith({ dasResourceId: DAS_TEST_RESOURCE_ID }));
    expect(d.code).toBe('AUDITQL_DECRYPTION_KEY_MISSING');
  });

  const failures: Array<[string, () => Promise<string>, DataKeyProvider | undefined, RegExp]> = [
    ['a data key that is not the one the message was encrypted under', () => encryptedKinesisRecord(DAS_PLAINTEXT_PG, { dataKey: Buffer.alloc(32, 9) }), undefined, /could not be decrypted/],
    ['a wrong encryption context (KMS refuses)', () => encryptedKinesisRecord(DAS_PLAINTEXT_PG), testKeyProvider({ expectedContext: { 'aws:rds:dbc-id': 'cluster-OTHER' } }), /InvalidCiphertextException/],
    ['an unknown data key blob', () => encryptedKinesisRecord(DAS_PLAINTEXT_PG, { keyBlob: Buffer.from('nope') }), undefined, /InvalidCiphertextException/],
    ['a data key of the wrong size', () => encryptedKinesisRecord(DAS_PLAINTEXT_PG), async () => Buffer.alloc(16, 1), /16 bytes/],
    ['a provider that throws', () => encryptedKinesisRecord(DAS_PLAINTEXT_PG), async () => { throw new TypeError(`boom ${DAS_TEST_DATA_KEY_HEX}`); }, /TypeError/],
    [
      'a tampered ciphertext',
      async () => {
        const outer = JSON.parse(await encryptedKinesisRecord(DAS_PLAINTEXT_PG));
        const bytes = Buffer.from(outer.databaseActivityEvents, 'base64');
        bytes[bytes.length - 120] ^= 0xff;
        return JSON.stringify({ ...outer, databaseActivityEvents: bytes.toString('base64') });
      },
      undefined,
      /could not be decrypted/,
    ],
    ['a plaintext that is not gzip', () => encryptedKinesisRecord(null, { plaintext: Buffer.from('{"not":"gzip"}') }), undefined, /not gzip/],
  ];
  it.each(failures)('dead-letters %s as DECRYPTION_FAILED, naming no key or content', async (_name, make, provider, message) => {
    const ctx = ctxWith({ dasResourceId: DAS_TEST_RESOURCE_ID, keyProvider: provider ?? testKeyProvider() });
    const d = await deadLetter(await make(), ctx);
    expect(d.code).toBe('AUDITQL_DECRYPTION_FAILED');
    expect(d.message).toMatch(message);
    expect(d.message).not.toContain(DAS_TEST_DATA_KEY_HEX);
    expect(d.message).not.toMatch(/payments|insert into/i);
  });

  it('dead-letters a decrypted payload that is gzip but not JSON as UNDECODABLE', async () => {
    const d = await deadLetter(await encryptedKinesisRecord(null, { plaintext: gzipSync('ALTER ROLE x WITH PASSWORD hunter2') }), keyed());
    expect(d).toEqual({ kind: 'dead', code: 'AUDITQL_UNDECODABLE_RECORD', message: 'DAS decrypted databaseActivityEvents is not valid JSON' });
  });

  it('does not let the keyring zero a key the provider keeps', async () => {
    const kept = dasTestDataKey();
    const provider: DataKeyProvider = async () => kept;
    const ctx = ctxWith({ dasResourceId: DAS_TEST_RESOURCE_ID, keyProvider: provider });
    await decodeEvents(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctx);
    expect(kept.toString('hex')).toBe(DAS_TEST_DATA_KEY_HEX);
    expect(await decodeEvents(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctx)).toHaveLength(2);
  });
});

// ------------------------------------------------------------------------------------------ the KMS provider

describe('createKmsKeyProvider', () => {
  const fakeKms = (reply: (input: { CiphertextBlob?: Uint8Array; EncryptionContext?: Record<string, string> }) => Promise<{ Plaintext?: Uint8Array }>) => {
    const inputs: Array<{ CiphertextBlob?: Uint8Array; EncryptionContext?: Record<string, string> }> = [];
    const client: KmsDecryptClient = { send: async (command) => { inputs.push(command.input); return reply(command.input); } };
    return { client, inputs };
  };

  it('sends Decrypt with the blob and the encryption context, and caches the data key', async () => {
    const { client, inputs } = fakeKms(async () => ({ Plaintext: dasTestDataKey() }));
    const provider = createKmsKeyProvider({ client });
    const ctxA = { 'aws:rds:dbc-id': 'cluster-A' };
    const first = await provider(DAS_TEST_KEY_BLOB, ctxA);
    first.fill(0); // a caller scribbling on its copy must not reach the cache
    expect((await provider(DAS_TEST_KEY_BLOB, { ...ctxA })).toString('hex')).toBe(DAS_TEST_DATA_KEY_HEX);
    await provider(DAS_TEST_KEY_BLOB, { 'aws:rds:dbc-id': 'cluster-B' });
    expect(inputs).toEqual([
      { CiphertextBlob: DAS_TEST_KEY_BLOB, EncryptionContext: ctxA },
      { CiphertextBlob: DAS_TEST_KEY_BLOB, EncryptionContext: { 'aws:rds:dbc-id': 'cluster-B' } },
    ]);
  });

  it('maps KMS errors to DECRYPTION_FAILED and does not cache them', async () => {
    let fail = true;
    const { client, inputs } = fakeKms(async () => {
      if (fail) throw Object.assign(new Error('User is not authorized to perform kms:Decrypt on arn:aws:kms:…'), { name: 'AccessDeniedException' });
      return { Plaintext: dasTestDataKey() };
    });
    const provider = createKmsKeyProvider({ client });
    await expect(provider(DAS_TEST_KEY_BLOB, {})).rejects.toMatchObject({ code: 'AUDITQL_DECRYPTION_FAILED', message: 'KMS Decrypt of the DAS data key failed (AccessDeniedException)' });
    fail = false;
    expect(await provider(DAS_TEST_KEY_BLOB, {})).toHaveLength(32);
    expect(inputs).toHaveLength(2);
    const empty = createKmsKeyProvider({ client: fakeKms(async () => ({})).client });
    await expect(empty(DAS_TEST_KEY_BLOB, {})).rejects.toMatchObject({ code: 'AUDITQL_DECRYPTION_FAILED' });
  });

  describe('through the real SDK against a local KMS endpoint (AWS_ENDPOINT_URL, as with LocalStack)', () => {
    const requests: Array<{ target: string | undefined; body: { CiphertextBlob: string; EncryptionContext: Record<string, string> } }> = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body);
        requests.push({ target: req.headers['x-amz-target'] as string | undefined, body: parsed });
        const ok = parsed.CiphertextBlob === DAS_TEST_KEY_BLOB.toString('base64') && parsed.EncryptionContext?.['aws:rds:dbc-id'] === DAS_TEST_RESOURCE_ID;
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(ok
          ? { KeyId: 'arn:aws:kms:us-east-1:000000000000:key/test', Plaintext: dasTestDataKey().toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }
          : { __type: 'InvalidCiphertextException', message: 'bad' }));
      });
    });
    const saved: Record<string, string | undefined> = {};
    const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL: '' };
    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const [k, v] of Object.entries(env)) { saved[k] = process.env[k]; process.env[k] = v; }
    });
    afterAll(async () => {
      for (const k of Object.keys(env)) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
      await new Promise((resolve) => server.close(resolve));
    });

    it('decodes an encrypted record end to end with the KMS provider', async () => {
      const provider = createKmsKeyProvider({ clientConfig: { maxAttempts: 1 } });
      const events = await decodeEvents(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctxWith({ dasResourceId: DAS_TEST_RESOURCE_ID, keyProvider: provider }));
      expect(events.map((e) => e.command)).toEqual(['INSERT', 'ALTER ROLE']);
      expect(requests.at(-1)).toEqual({
        target: 'TrentService.Decrypt',
        body: { CiphertextBlob: DAS_TEST_KEY_BLOB.toString('base64'), EncryptionContext: { 'aws:rds:dbc-id': DAS_TEST_RESOURCE_ID } },
      });
      const d = await deadLetter(await encryptedKinesisRecord(DAS_PLAINTEXT_PG), ctxWith({ dasResourceId: 'cluster-OTHER', keyProvider: provider }));
      expect(d).toMatchObject({ code: 'AUDITQL_DECRYPTION_FAILED', message: 'KMS Decrypt of the DAS data key failed (InvalidCiphertextException)' });
    });
  });
});

// ------------------------------------------------------------------------------------------ recognizes

describe('dasDecoder.recognizes', () => {
  const event = { class: 'READ', command: 'SELECT', dbUserName: 'u', logTime: '2020-01-01 00:00:00+00', type: 'record' };
  it.each<[string, unknown]>([
    ['the Kinesis record', { type: 'DatabaseActivityMonitoringRecords', version: '1.1', databaseActivityEvents: 'AAAA', key: 'AAAA' }],
    ['the Kinesis record without type', { version: '1.1', databaseActivityEvents: 'AAAA', key: 'AAAA' }],
    ['the doc form', { type: 'DatabaseActivityMonitoringRecords', version: '1.1', databaseActivityEvents: { type: 'DatabaseActivityMonitoringRecord' }, key: 'decryption-key' }],
    ['the decrypted record', { type: 'DatabaseActivityMonitoringRecord', clusterId: 'c', databaseActivityEventList: [] }],
    ['the decrypted record without type', { instanceId: 'db-x', databaseActivityEventList: [event] }],
    ['a bare event', event],
    ['a bare Oracle event (no type)', { class: 'Standard', command: 'LOGON', dbUserName: 'U', logTime: '2021-01-15 00:15:36.233787' }],
    ['a bare heartbeat', { type: 'heartbeat' }],
    ['a bare heartbeat with a time', { type: 'heartbeat', logTime: '2020-01-01 00:00:00+00' }],
    ['an array of events', [event, event]],
    ['an array holding an array of events', [[event], event]],
  ])('claims %s', (_name, value) => expect(dasDecoder.recognizes(value)).toBe(true));

  it.each<[string, unknown]>([
    ['a Debezium envelope with schema', { schema: { type: 'struct' }, payload: { before: null, after: { id: 1 }, source: {}, op: 'c' } }],
    ['a Debezium value', { before: null, after: { id: 1 }, source: { connector: 'postgresql' }, op: 'c', ts_ms: 1 }],
    ['a flattened Debezium row of a table with class/dbUserName columns', { id: 1, class: 'READ', dbUserName: 'u', op: 'c', source: { connector: 'postgresql' } }],
    ['a Debezium transaction record', { status: 'BEGIN', id: '571:53195829', ts_ms: 1, event_count: null, data_collections: null }],
    ['a Maxwell row', { database: 'test', table: 'orders', type: 'insert', ts: 1, xid: 7, commit: true, data: { id: 1 } }],
    ['a Maxwell heartbeat row', { database: 'maxwell', table: 'heartbeats', type: 'heartbeat', ts: 1700004010, data: {} }],
    ['a Maxwell DDL', { type: 'table-create', database: 'test', table: 't', def: {}, ts: 1, sql: 'create table t (id int)' }],
    ['a PostgreSQL jsonlog line', { timestamp: '2024-01-01 00:00:00.000 UTC', user: 'alice', dbname: 'shop', pid: 1, message: 'AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>' }],
    ['an object with class alone', { class: 'READ' }],
    ['an empty array', []],
    ['an array mixing DAS and others', [event, { database: 'd', table: 't', type: 'insert', data: {} }]],
    ['a string', 'DatabaseActivityMonitoringRecords'],
    ['null', null],
  ])('does not claim %s', (_name, value) => expect(dasDecoder.recognizes(value)).toBe(false));
});

it('claims no input of the other formats\' golden fixtures', async () => {
  let checked = 0;
  for (const format of ['debezium', 'maxwell', 'pgaudit', 'pgoutput']) {
    for (const c of fixtureCases(format)) {
      for (const r of await recordsOf(c.input, dasDecoder, ctxWith())) {
        const text = r.value?.toString('utf8').trim() ?? '';
        if (!text.startsWith('{') && !text.startsWith('[')) continue;
        let value: unknown;
        try { value = JSON.parse(text); } catch { continue; }
        expect(dasDecoder.recognizes(value), `${format}/${c.name}`).toBe(false);
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(0);
});

// Keep the encrypt helper honest: the payload it writes is an Encryption SDK message (version byte 1 or 2).
it('encryptDasPayload writes an AWS Encryption SDK message', async () => {
  const bytes = Buffer.from(await encryptDasPayload(DAS_PLAINTEXT_PG), 'base64');
  expect([1, 2]).toContain(bytes[0]);
});
