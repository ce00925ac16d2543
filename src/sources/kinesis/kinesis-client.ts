/**
 * The Kinesis client: the standard AWS configuration (AWS_REGION, the credentials chain), `--region` and
 * `--endpoint` (kinesalite, LocalStack, a VPC endpoint). Requests go over HTTP/1.1: GetRecords needs
 * nothing more, and local Kinesis implementations speak nothing else (the SDK's default handler is HTTP/2,
 * for enhanced fan-out, which this source does not use).
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface KinesisClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
}

export function createKinesisClient(o: KinesisClientOptions): KinesisClient {
  return new KinesisClient({
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 30_000 }),
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
  });
}
