/**
 * DAS encryption for tests: builds real encrypted Kinesis records the way Aurora does (gzip → AWS Encryption
 * SDK message under a raw AES keyring `BC`/`DataKey` → base64, beside a "KMS-encrypted" data key blob), and a
 * DataKeyProvider that plays KMS locally: it maps the fake blobs to local AES keys and insists on the
 * encryption context KMS would check. The decoder's KMS path is thereby exercised through the injectable
 * provider, with the same SDK, and no network.
 *
 * Golden fixtures that need a key name it in their expected file: `"context": {"keyProviderFixture":
 * "testKeyProvider", "dasResourceId": …}`. A generic fixture runner builds the provider with
 * `keyProviderFor(expected.context)` (or `testKeyProvider()` directly) and passes it as `{ keyProvider }` to
 * `decodeFixture` / the ingest pipeline. Fixtures without `keyProviderFixture` must run with no provider.
 *
 * The encrypted fixture files are committed (encryption is randomized; the committed bytes are the golden
 * input). Regenerate them with `DAS_REGENERATE_FIXTURES=1 npx vitest run test/unit/das.test.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import type { DataKeyProvider } from '../../src/decoders/decoder.js';

/** The cluster the encrypted fixtures pretend to come from (DbClusterResourceId). */
export const DAS_TEST_RESOURCE_ID = 'cluster-AUDITQLTESTFIXTUREKEY00001';
/** The Kinesis stream Aurora would create for it (`aws-rds-das-<resource id>`). */
export const DAS_TEST_STREAM = `aws-rds-das-${DAS_TEST_RESOURCE_ID}`;
/** The AES-256 data key of the encrypted fixtures: sha256("auditql DAS test data key v1"). Test data only. */
export const DAS_TEST_DATA_KEY_HEX = 'a77ff1d6a97a427ce28cf294d6642720f171e6914c90a752d0c6edc8943e19e4';
/** A second key, which decrypts nothing: sha256("auditql DAS wrong data key v1"). */
export const DAS_TEST_WRONG_DATA_KEY_HEX = '370f23502e98004f2f75f64c3ebd324fafbfa14cdca6ecce959c56673e0197c2';
/** Stand-ins for KMS ciphertext blobs (the records' `key`, base64-decoded). */
export const DAS_TEST_KEY_BLOB = Buffer.from('auditql-test/kms-encrypted-data-key/v1', 'utf8');
export const DAS_TEST_WRONG_KEY_BLOB = Buffer.from('auditql-test/kms-encrypted-data-key/wrong', 'utf8');

export const dasTestDataKey = () => Buffer.from(DAS_TEST_DATA_KEY_HEX, 'hex');

const KEYS = new Map<string, string>([
  [DAS_TEST_KEY_BLOB.toString('base64'), DAS_TEST_DATA_KEY_HEX],
  [DAS_TEST_WRONG_KEY_BLOB.toString('base64'), DAS_TEST_WRONG_DATA_KEY_HEX],
]);

export interface KeyProviderCall {
  readonly encryptedKey: Buffer;
  readonly encryptionContext: Readonly<Record<string, string>>;
}

export interface TestKeyProviderOptions {
  /** The encryption context KMS would require; default `{"aws:rds:dbc-id": DAS_TEST_RESOURCE_ID}`. */
  readonly expectedContext?: Readonly<Record<string, string>>;
  /** Every call is appended here (copies), for assertions. */
  readonly calls?: KeyProviderCall[];
}

function sameContext(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a).sort();
  const bk = Object.keys(b).sort();
  return ak.length === bk.length && ak.every((k, i) => k === bk[i] && a[k] === b[k]);
}

/** KMS, played locally: known blob + the right encryption context → the data key; anything else throws. */
export function testKeyProvider(options: TestKeyProviderOptions = {}): DataKeyProvider {
  const expected = options.expectedContext ?? { 'aws:rds:dbc-id': DAS_TEST_RESOURCE_ID };
  return async (encryptedKey, encryptionContext) => {
    options.calls?.push({ encryptedKey: Buffer.from(encryptedKey), encryptionContext: { ...encryptionContext } });
    // KMS answers a wrong context with InvalidCiphertextException; so does this.
    if (!sameContext(encryptionContext, expected)) throw Object.assign(new Error('encryption context mismatch'), { name: 'InvalidCiphertextException' });
    const hex = KEYS.get(encryptedKey.toString('base64'));
    if (!hex) throw Object.assign(new Error('unknown ciphertext blob'), { name: 'InvalidCiphertextException' });
    return Buffer.from(hex, 'hex');
  };
}

/** The provider a golden fixture asks for in its expected `context`, or undefined when it asks for none. */
export function keyProviderFor(context: { keyProviderFixture?: string } | undefined): DataKeyProvider | undefined {
  const name = context?.keyProviderFixture;
  if (name === undefined) return undefined;
  if (name !== 'testKeyProvider') throw new Error(`unknown keyProviderFixture ${name}`);
  return testKeyProvider();
}

export interface EncryptOptions {
  /** Default: the test data key. */
  readonly dataKey?: Buffer;
  /**
   * Default: ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, a non-committing suite (the reason the AWS
   * samples decrypt with REQUIRE_ENCRYPT_ALLOW_DECRYPT). Committing suites decrypt as well.
   */
  readonly suiteId?: AlgorithmSuiteIdentifier;
  /** Bytes to encrypt instead of gzip(JSON of the record), to test what the decoder does with them. */
  readonly plaintext?: Buffer;
}

/** base64 of an Encryption SDK message whose plaintext is the gzip of `record` as JSON. */
export async function encryptDasPayload(record: unknown, options: EncryptOptions = {}): Promise<string> {
  const suiteId = options.suiteId ?? AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384;
  const committing =
    suiteId === AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY ||
    suiteId === AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384;
  const { encrypt } = buildClient(committing ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyNamespace: 'BC',
    keyName: 'DataKey',
    unencryptedMasterKey: Uint8Array.from(options.dataKey ?? dasTestDataKey()),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const plaintext = options.plaintext ?? gzipSync(Buffer.from(JSON.stringify(record), 'utf8'));
  const { result } = await encrypt(keyring, plaintext, { suiteId });
  return result.toString('base64');
}

export interface KinesisRecordOptions extends EncryptOptions {
  readonly version?: string;
  /** The record's `key` before base64: default the test blob. */
  readonly keyBlob?: Buffer;
}

/** A DAS Kinesis record (the JSON text Kinesis carries), encrypted as Aurora does it. */
export async function encryptedKinesisRecord(record: unknown, options: KinesisRecordOptions = {}): Promise<string> {
  return JSON.stringify({
    type: 'DatabaseActivityMonitoringRecords',
    version: options.version ?? '1.1',
    databaseActivityEvents: await encryptDasPayload(record, options),
    key: (options.keyBlob ?? DAS_TEST_KEY_BLOB).toString('base64'),
  });
}

// ---------------------------------------------------------------------------------------------------------
// The plaintext of the committed encrypted fixtures (their expected files list the events by hand).

const pgServer = {
  serverHost: '10.0.1.20', serverType: 'PostgreSQL', serverVersion: '15.4',
  serviceName: 'Amazon Aurora PostgreSQL-Compatible edition', netProtocol: 'TCP', dbProtocol: 'Postgres 3.0',
};

/** Aurora PostgreSQL, version 1.1: a heartbeat, an INSERT with bind values, an ALTER ROLE. */
export const DAS_PLAINTEXT_PG = {
  type: 'DatabaseActivityMonitoringRecord',
  clusterId: DAS_TEST_RESOURCE_ID,
  instanceId: 'db-AUDITQLTESTINSTANCE00000001',
  databaseActivityEventList: [
    { type: 'heartbeat' },
    {
      startTime: '2024-01-12 09:30:00.123456+00', logTime: '2024-01-12 09:30:00.125001+00',
      statementId: 12, substatementId: 1, objectType: 'TABLE', command: 'INSERT', objectName: 'public.payments',
      databaseName: 'shop', dbUserName: 'payments_svc', remoteHost: '10.0.7.12', remotePort: '41022',
      sessionId: '65a1b2c3.1f40', rowCount: 1,
      commandText: 'insert into public.payments (id, order_id, amount) values ($1, $2, $3)',
      paramList: ['77', '1001', '19.99'], pid: 8000, clientApplication: 'payments-worker', exitCode: null,
      class: 'WRITE', ...pgServer, type: 'record', errorMessage: null,
    },
    {
      startTime: '2024-01-12 09:30:00.999000+00', logTime: '2024-01-12 09:30:01.000000+00',
      statementId: 13, substatementId: 1, objectType: null, command: 'ALTER ROLE', objectName: null,
      databaseName: 'shop', dbUserName: 'payments_svc', remoteHost: '10.0.7.12', remotePort: '41022',
      sessionId: '65a1b2c3.1f40', rowCount: null, commandText: 'ALTER ROLE payments_svc WITH password',
      paramList: [], pid: 8000, clientApplication: 'payments-worker', exitCode: null,
      class: 'ROLE', ...pgServer, type: 'record', errorMessage: null,
    },
  ],
};

const mysqlEvent = {
  type: 'record', clientApplication: null, pid: 2900, dbUserName: 'payments_svc', databaseName: 'payments',
  remoteHost: '10.0.7.13', remotePort: '51000', paramList: null, objectType: 'TABLE', objectName: 'orders',
  statementId: 88001, sessionId: '901', serverHost: 'payments-mysql-1', serverType: 'MySQL',
  serviceName: 'Amazon Aurora MySQL', serverVersion: 'MySQL 5.7.12', startTime: '2024-01-12 09:31:00.100000+00',
  transactionId: '3000001', dbProtocol: 'MySQL', netProtocol: 'TCP', errorMessage: '',
};

/** Aurora MySQL, version 1.2: the AUX record of an UPDATE before its MAIN record, both in one transaction. */
export const DAS_PLAINTEXT_MYSQL = {
  type: 'DatabaseActivityMonitoringRecord',
  clusterId: DAS_TEST_RESOURCE_ID,
  instanceId: 'db-AUDITQLTESTINSTANCE00000002',
  databaseActivityEventList: [
    {
      ...mysqlEvent, logTime: '2024-01-12 09:31:00.100350+00', command: 'WRITE', commandText: 'orders',
      substatementId: 2, exitCode: '', rowCount: 0, endTime: '2024-01-12 09:31:00.100350+00', class: 'AUX',
    },
    {
      ...mysqlEvent, logTime: '2024-01-12 09:31:00.100200+00', command: 'QUERY',
      commandText: "UPDATE orders SET status = \\'paid\\' WHERE id = 1001",
      substatementId: 1, exitCode: '0', rowCount: 1, endTime: '2024-01-12 09:31:00.100201+00', class: 'MAIN',
    },
  ],
};

/** Aurora PostgreSQL, version 1.1, delivered through Kafka under the Kinesis stream's name. */
export const DAS_PLAINTEXT_KCAT = {
  type: 'DatabaseActivityMonitoringRecord',
  clusterId: DAS_TEST_RESOURCE_ID,
  instanceId: 'db-AUDITQLTESTINSTANCE00000001',
  databaseActivityEventList: [
    {
      startTime: '2024-01-12 09:59:59.500000+00', logTime: '2024-01-12 10:00:00.000001+00',
      statementId: 3, substatementId: 1, objectType: 'TABLE', command: 'DELETE', objectName: 'public.carts',
      databaseName: 'shop', dbUserName: 'janitor', remoteHost: '10.0.7.99', remotePort: '40000',
      sessionId: '65a1b2c4.2000', rowCount: 17,
      commandText: "delete from public.carts where updated_at < now() - interval '30 days'",
      paramList: [], pid: 8192, clientApplication: 'cron', exitCode: null,
      class: 'WRITE', ...pgServer, type: 'record', errorMessage: null,
    },
  ],
};

/** Regenerate the committed encrypted fixtures in `dir` (test/fixtures/das). */
export async function writeEncryptedFixtures(dir: string): Promise<void> {
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text.endsWith('\n') ? text : `${text}\n`);
  write('encrypted-kinesis.jsonl', [
    await encryptedKinesisRecord(DAS_PLAINTEXT_PG, { version: '1.1' }),
    await encryptedKinesisRecord(DAS_PLAINTEXT_MYSQL, { version: '1.2' }),
  ].join('\n'));
  write('encrypted-wrong-key.json', await encryptedKinesisRecord(DAS_PLAINTEXT_PG, { version: '1.1', keyBlob: DAS_TEST_WRONG_KEY_BLOB }));
  write('encrypted-no-key-provider.json', await encryptedKinesisRecord(DAS_PLAINTEXT_PG, { version: '1.1' }));
  const envelope = {
    topic: DAS_TEST_STREAM, partition: 0, offset: 42, tstype: 'create', ts: 1705053600000, broker: 1,
    headers: [], key: 'shardId-000000000000', payload: await encryptedKinesisRecord(DAS_PLAINTEXT_KCAT, { version: '1.1' }),
  };
  write('encrypted-kcat-envelope.jsonl', JSON.stringify(envelope));
}
