/**
 * Where a forwarder sends (docs/siem.md "Delivery"). `send` resolves only once the destination has
 * acknowledged every event of the batch (Splunk HEC: indexed-ack when the response carries an ackId;
 * HTTP: a 2xx; file: written and fsynced); it rejects otherwise, and the forwarder sends the same batch again.
 */
import type { SiemEvent, SiemInput } from '../siem-input.js';

export interface OutgoingEvent {
  readonly input: SiemInput;
  /** The event in the forwarder's format. */
  readonly body: SiemEvent;
  /** The event's time, epoch milliseconds. */
  readonly timeMs: number;
}

export interface Destination {
  /** For logs and the forwarders table: `splunk-hec http://host:8088/…`. */
  readonly description: string;
  send(batch: readonly OutgoingEvent[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A destination's refusal, with whether trying again may succeed (a 503 may; a 401 needs an operator, but is retried too). */
export class DeliveryError extends Error {
  constructor(message: string, readonly status: number | null = null) {
    super(message);
  }
}

export async function expectOk(res: Response, what: string): Promise<string> {
  const text = await res.text();
  if (!res.ok) throw new DeliveryError(`${what} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
  return text;
}
