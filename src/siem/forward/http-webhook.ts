/**
 * A generic webhook (docs/siem.md "HTTP"): one POST per batch, JSON lines (default) or a JSON array,
 * signed: `X-Auditql-Signature: sha256=<hex HMAC-SHA256 of the body with the token>`. Any 2xx acknowledges.
 */
import { createHmac } from 'node:crypto';
import { expectOk, type Destination } from './destination.js';

export interface WebhookOptions {
  readonly url: string;
  /** The HMAC key; null: unsigned. */
  readonly secret: string | null;
  readonly body: 'lines' | 'array';
}

export const signatureOf = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export function httpWebhook(o: WebhookOptions): Destination {
  return {
    description: `http ${o.url}`,
    async send(batch, signal) {
      const events = batch.map((e) => e.body);
      const body = o.body === 'array' ? JSON.stringify(events) : events.map((e) => JSON.stringify(e)).join('\n') + '\n';
      const headers: Record<string, string> = { 'content-type': o.body === 'array' ? 'application/json' : 'application/x-ndjson' };
      if (o.secret) headers['x-auditql-signature'] = signatureOf(o.secret, body);
      await expectOk(await fetch(o.url, { method: 'POST', headers, body, signal }), 'the webhook');
    },
    async close() {},
  };
}
