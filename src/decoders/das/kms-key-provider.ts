/**
 * A DataKeyProvider backed by AWS KMS: `Decrypt(CiphertextBlob = the record's key, EncryptionContext)`, as the
 * AWS DAS samples do (AUR "Processing a database activity stream using the AWS SDK"). The decoder never imports
 * this module; the CLI builds the provider and injects it as `DecodeContext.keyProvider`.
 *
 * The KMSClient takes the SDK's standard configuration chain: region and credentials from the environment,
 * shared config files or instance roles, and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_KMS` for LocalStack or a VPC
 * endpoint. Data keys are cached (bounded, per encrypted key and context): DAS reuses a data key across many
 * records, and each KMS call costs latency and money.
 */
import { DecryptCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import type { DataKeyProvider } from '../decoder.js';
import { DecodeError, ErrorCode } from '../../errors.js';

/** The part of KMSClient the provider uses (tests inject a fake). */
export interface KmsDecryptClient {
  send(command: DecryptCommand): Promise<{ Plaintext?: Uint8Array }>;
}

export interface KmsKeyProviderOptions {
  /** A ready client; else one is built from `clientConfig` and the standard configuration chain. */
  readonly client?: KmsDecryptClient;
  readonly clientConfig?: KMSClientConfig;
  /** How many data keys to keep (least recently used are dropped). Default 256; 0 disables caching. */
  readonly cacheSize?: number;
}

function cacheKey(encryptedKey: Buffer, context: Readonly<Record<string, string>>): string {
  const ctx = Object.keys(context).sort().map((k) => [k, context[k]]);
  return `${encryptedKey.toString('base64')}|${JSON.stringify(ctx)}`;
}

export function createKmsKeyProvider(options: KmsKeyProviderOptions = {}): DataKeyProvider {
  const client: KmsDecryptClient = options.client ?? new KMSClient(options.clientConfig ?? {});
  const capacity = options.cacheSize ?? 256;
  const cache = new Map<string, Promise<Buffer>>();

  const fetchKey = async (encryptedKey: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer> => {
    let out: { Plaintext?: Uint8Array };
    try {
      out = await client.send(new DecryptCommand({ CiphertextBlob: encryptedKey, EncryptionContext: { ...context } }));
    } catch (err) {
      const name = err instanceof Error ? err.name : typeof err;
      throw new DecodeError(ErrorCode.DECRYPTION_FAILED, `KMS Decrypt of the DAS data key failed (${name})`, { cause: err });
    }
    if (!out.Plaintext || out.Plaintext.length === 0) {
      throw new DecodeError(ErrorCode.DECRYPTION_FAILED, 'KMS Decrypt of the DAS data key returned no plaintext');
    }
    return Buffer.from(out.Plaintext);
  };

  return async (encryptedKey, context) => {
    if (capacity <= 0) return fetchKey(encryptedKey, context);
    const key = cacheKey(encryptedKey, context);
    let pending = cache.get(key);
    if (pending) {
      cache.delete(key); // re-insert: most recently used last
      cache.set(key, pending);
    } else {
      const fetched = fetchKey(encryptedKey, context);
      pending = fetched;
      cache.set(key, fetched);
      fetched.catch(() => { // failures are not cached
        if (cache.get(key) === fetched) cache.delete(key);
      });
      while (cache.size > capacity) cache.delete(cache.keys().next().value!);
    }
    return Buffer.from(await pending); // a copy: callers may not corrupt the cached key
  };
}
