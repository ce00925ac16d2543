/**
 * Decrypting a DAS Kinesis record, the AWS-documented way (AUR "Processing a database activity stream using
 * the AWS SDK"; docs/formats/das.md "Decryption steps"):
 *
 * 1. the data key: `ctx.keyProvider(b64decode(key), {"aws:rds:dbc-id": <DbClusterResourceId>})` — in production
 *    KMS Decrypt (kms-key-provider.ts), in tests a local provider; this module never talks to KMS itself;
 * 2. `b64decode(databaseActivityEvents)` is an AWS Encryption SDK message, decrypted with
 *    `@aws-crypto/client-node` and a raw AES keyring: namespace (provider id) `BC`, key name `DataKey`,
 *    wrapping suite AES256_GCM_IV12_TAG16_NO_PADDING, commitment policy REQUIRE_ENCRYPT_ALLOW_DECRYPT
 *    (DAS messages may use non-committing algorithm suites);
 * 3. the plaintext is gzip; its content is the `DatabaseActivityMonitoringRecord` JSON.
 *
 * Failures throw DecodeError: no provider or no resource id → DECRYPTION_KEY_MISSING; the provider, the SDK or
 * gzip failing → DECRYPTION_FAILED. Messages name the step and the error class only: never key bytes, never
 * record content.
 */
import { gunzipSync } from 'node:zlib';
import {
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import type { DecodeContext } from '../decoder.js';
import { DecodeError, ErrorCode, undecodable } from '../../errors.js';

/** Raw AES keyring identity used by DAS (Java: JceMasterKey "BC"/"DataKey"; Python: provider_id "BC"). */
export const DAS_KEY_NAMESPACE = 'BC';
export const DAS_KEY_NAME = 'DataKey';
/** Decompressed payload bound: a Kinesis record is at most 1 MiB, so 64 MiB only stops a gzip bomb. */
const MAX_PLAINTEXT_BYTES = 64 * 1024 * 1024;
const AES_256_KEY_BYTES = 32;

const { decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);

/**
 * The KMS encryption context for a resource id. Aurora clusters (`cluster-…`): `aws:rds:dbc-id` (AUR samples).
 * RDS instances (`db-…`, Oracle and SQL Server streams): `aws:rds:db-id`, the key RDS uses for instance
 * resources elsewhere; the DAS docs do not show it, so it is an inference (docs/formats/das.md).
 */
export function dasEncryptionContext(resourceId: string): Record<string, string> {
  return resourceId.startsWith('db-') ? { 'aws:rds:db-id': resourceId } : { 'aws:rds:dbc-id': resourceId };
}

/** A Kinesis stream named `aws-rds-das-<resource id>` (AUR/RDS "Accessing an activity stream from Kinesis"). */
const STREAM_NAME = /(?:^|[/:])aws-rds-das-((?:cluster|db)-[A-Za-z0-9]+)$/;

/** `--das-resource-id`, else the resource id in a topic that kept the Kinesis stream name; else null. */
export function resourceIdFor(ctx: DecodeContext, topic: string | undefined): string | null {
  if (ctx.dasResourceId) return ctx.dasResourceId;
  const m = topic === undefined ? null : STREAM_NAME.exec(topic);
  return m ? m[1]! : null;
}

function base64Bytes(value: string, field: string): Buffer {
  const compact = value.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw undecodable(`DAS record field ${field} is not base64`);
  }
  return Buffer.from(compact, 'base64');
}

const errorName = (err: unknown) => (err instanceof Error ? err.name : typeof err);

/** Decrypt `databaseActivityEvents` with the record's `key`; returns the decompressed JSON text. */
export async function decryptActivityEvents(
  encryptedEvents: string,
  encryptedKey: string,
  ctx: DecodeContext,
  topic?: string,
): Promise<string> {
  const provider = ctx.keyProvider;
  if (!provider) {
    throw new DecodeError(
      ErrorCode.DECRYPTION_KEY_MISSING,
      'DAS record is encrypted and no data-key provider is configured (KMS needs --das-resource-id and AWS credentials)',
    );
  }
  const resourceId = resourceIdFor(ctx, topic);
  if (!resourceId) {
    throw new DecodeError(
      ErrorCode.DECRYPTION_KEY_MISSING,
      'DAS record is encrypted and the cluster resource id for the KMS encryption context is unknown (set --das-resource-id)',
    );
  }
  const keyBlob = base64Bytes(encryptedKey, 'key');
  const ciphertext = base64Bytes(encryptedEvents, 'databaseActivityEvents');

  let dataKey: Buffer;
  try {
    dataKey = await provider(keyBlob, dasEncryptionContext(resourceId));
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, `DAS data key could not be obtained (${errorName(err)})`, { cause: err });
  }
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== AES_256_KEY_BYTES) {
    const size = dataKey instanceof Uint8Array ? `${dataKey.length} bytes` : typeof dataKey;
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, `DAS data key is ${size}, expected a ${AES_256_KEY_BYTES}-byte AES-256 key`);
  }

  let compressed: Buffer;
  try {
    // The keyring takes ownership of (and later zeroes) the key it is given: hand it a private copy, so a
    // provider that caches keys keeps its own. Uint8Array.from also gives the isolated buffer it requires.
    const keyring = new RawAesKeyringNode({
      keyNamespace: DAS_KEY_NAMESPACE,
      keyName: DAS_KEY_NAME,
      unencryptedMasterKey: Uint8Array.from(dataKey),
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    });
    ({ plaintext: compressed } = await decrypt(keyring, ciphertext));
  } catch (err) {
    throw new DecodeError(
      ErrorCode.DECRYPTION_FAILED,
      `DAS payload could not be decrypted with the data key (wrong key or corrupt Encryption SDK message: ${errorName(err)})`,
      { cause: err },
    );
  }

  try {
    return gunzipSync(compressed, { maxOutputLength: MAX_PLAINTEXT_BYTES }).toString('utf8');
  } catch (err) {
    throw new DecodeError(ErrorCode.DECRYPTION_FAILED, `DAS decrypted payload is not gzip (${errorName(err)})`, { cause: err });
  }
}
