/**
 * Secrets decoders need at run time. DAS records carry a KMS-encrypted data key: for `--format das|auto`
 * the context gets a KMS key provider (standard AWS configuration: AWS_REGION, credentials chain,
 * AWS_ENDPOINT_URL for LocalStack-style endpoints). The AWS SDK loads only when a record needs it.
 */
import type { DataKeyProvider, DecodeContext } from '../../decoders/decoder.js';
import type { FormatChoice } from '../../decoders/registry.js';

function lazyKmsProvider(): DataKeyProvider {
  let provider: Promise<DataKeyProvider> | undefined;
  return async (encryptedKey, encryptionContext) => {
    provider ??= import('../../decoders/das/kms-key-provider.js').then((m) => m.createKmsKeyProvider());
    return (await provider)(encryptedKey, encryptionContext);
  };
}

export function withKeyProviders(ctx: DecodeContext, formats: readonly FormatChoice[]): DecodeContext {
  if (ctx.keyProvider || !formats.some((f) => f === 'das' || f === 'auto')) return ctx;
  return Object.freeze({ ...ctx, keyProvider: lazyKmsProvider() });
}
