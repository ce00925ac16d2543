/**
 * Splunk HTTP Event Collector (docs/siem.md "Splunk"): many events per POST to the full event endpoint
 * URL, each in the HEC envelope (`time` epoch seconds with fraction, `host`, `source`, `sourcetype`,
 * `index`, `event`), `Authorization: Splunk <token>` and a request channel. When the response carries an
 * `ackId` (indexer acknowledgement on), the batch counts as delivered only once
 * `/services/collector/ack` says it was indexed.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DeliveryError, expectOk, type Destination, type OutgoingEvent } from './destination.js';
import { abortableSleep } from '../../abortable-sleep.js';

export interface HecOptions {
  readonly url: string;
  readonly token: string;
  readonly index: string | null;
  readonly sourcetype: string;
  readonly source: string;
  /** How often to ask whether an ackId was indexed (default 250 ms). */
  readonly ackPollMs?: number;
  /** Give up on an ackId after this long and send the batch again (default 60 s). */
  readonly ackTimeoutMs?: number;
}

export function ackUrlOf(eventUrl: string): string {
  const u = new URL(eventUrl);
  u.pathname = u.pathname.replace(/\/services\/collector(\/event)?(\/1\.0)?\/?$/, '') + '/services/collector/ack';
  return u.toString();
}

export function splunkHec(o: HecOptions): Destination {
  const channel = randomUUID();
  const host = hostname();
  const headers = { authorization: `Splunk ${o.token}`, 'x-splunk-request-channel': channel, 'content-type': 'application/json' };
  const ackUrl = ackUrlOf(o.url);
  const envelope = (e: OutgoingEvent) =>
    JSON.stringify({ time: e.timeMs / 1000, host, source: o.source, sourcetype: o.sourcetype, ...(o.index ? { index: o.index } : {}), event: e.body });

  async function awaitAck(ackId: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + (o.ackTimeoutMs ?? 60_000);
    while (!signal.aborted) {
      const res = await fetch(ackUrl, { method: 'POST', headers, body: JSON.stringify({ acks: [ackId] }), signal });
      const body = JSON.parse(await expectOk(res, 'Splunk HEC ack')) as { acks?: Record<string, boolean> };
      if (body.acks?.[String(ackId)] === true) return;
      if (Date.now() > deadline) throw new DeliveryError(`Splunk HEC did not acknowledge ackId ${ackId} in time`, null, 'ACK_TIMEOUT');
      await abortableSleep(o.ackPollMs ?? 250, signal);
    }
    throw new DeliveryError('stopped while waiting for a Splunk HEC acknowledgement');
  }

  return {
    description: `splunk-hec ${o.url}`,
    async send(batch, signal) {
      const res = await fetch(o.url, { method: 'POST', headers, body: batch.map(envelope).join('\n'), signal });
      const text = await expectOk(res, 'Splunk HEC');
      const body = (text ? JSON.parse(text) : {}) as { code?: number; ackId?: number };
      if (body.code !== undefined && body.code !== 0) throw new DeliveryError(`Splunk HEC refused the batch: ${text.slice(0, 200)}`, res.status);
      if (typeof body.ackId === 'number') await awaitAck(body.ackId, signal);
    },
    async close() {},
  };
}
