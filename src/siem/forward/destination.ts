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

/** A destination's refusal (a 503 may pass on its own; a 401 needs an operator, but is retried too). */
export class DeliveryError extends Error {
  /** The stable code (docs/siem.md "Failures"): `HTTP_<status>` when the destination answered, else `code`. */
  readonly code: string;

  constructor(message: string, readonly status: number | null = null, code = 'REFUSED') {
    super(message);
    this.code = status === null ? code : `HTTP_${status}`;
  }
}

/**
 * The stable code of a failed send (docs/siem.md "Failures"), a bounded set fit for a metric label and
 * the API: a DeliveryError's code; `KAFKA_<type>` for a broker's protocol error and the kafkajs error's
 * name otherwise; `FS_<errno code>` for a file; `NETWORK` for a connection that failed; `ERROR` for anything else.
 */
export function deliveryErrorCode(err: unknown): string {
  if (err instanceof DeliveryError) return err.code;
  const e = err as { name?: unknown; type?: unknown; code?: unknown; path?: unknown; cause?: unknown } | null;
  if (typeof e?.name === 'string' && e.name.startsWith('KafkaJS')) {
    return typeof e.type === 'string' && /^[A-Z_]{1,64}$/.test(e.type) ? `KAFKA_${e.type}` : e.name;
  }
  if (typeof e?.code === 'string' && /^E[A-Z]{1,20}$/.test(e.code)) return typeof e.path === 'string' ? `FS_${e.code}` : 'NETWORK';
  if (err instanceof TypeError && e?.cause !== undefined) return 'NETWORK'; // fetch: "fetch failed", the socket error as its cause
  return 'ERROR';
}

export async function expectOk(res: Response, what: string): Promise<string> {
  const text = await res.text();
  if (!res.ok) throw new DeliveryError(`${what} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
  return text;
}
