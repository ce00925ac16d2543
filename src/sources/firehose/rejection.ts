/**
 * A delivery refused before anything was stored: the HTTP status Firehose gets and a message safe to send it
 * (no SQL, no record content, no secrets — it ends up in the delivery stream's CloudWatch error logs).
 */
import type { FirehoseStatus } from './protocol.js';

export class FirehoseRejection extends Error {
  constructor(readonly status: FirehoseStatus, message: string) {
    super(message);
    this.name = 'FirehoseRejection';
  }
}
