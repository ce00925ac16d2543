/**
 * One replication connection (pg-logical-replication's LogicalReplicationService) from START_REPLICATION to
 * its end. The library's automatic acknowledgement is off, and so is its keepalive timer, which would report
 * the last *received* LSN as flushed: this session reports only what the source says is durable in the
 * warehouse (`confirmed()`), on start, every 10 s, and whenever the server asks for a reply. Flow control
 * is on, so messages are handled one at a time, in order, and the socket pauses while a handler waits.
 */
import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import type { Logger } from '../../log.js';
import { sourceClientConfig } from './connection.js';
import { formatLsn } from './lsn.js';
import { RawTextPgoutputPlugin, type ParsedMessage } from './raw-text-plugin.js';
import { ProtocolError } from './record-builder.js';

export interface SessionOptions {
  readonly url: string;
  readonly slot: string;
  readonly publication: string;
  readonly startLsn: bigint;
  /** Handles one message; a rejection ends the session. */
  readonly onMessage: (lsn: string, message: Pgoutput.Message, session: ReplicationSession) => Promise<void>;
  /** The LSN the warehouse has made durable: what the server may forget. */
  readonly confirmed: () => bigint;
  /** START_REPLICATION succeeded. */
  readonly onStart?: () => void;
  readonly log: Logger;
}

const STATUS_INTERVAL_MS = 10_000;

export class ReplicationSession {
  /** True from START_REPLICATION's success on. */
  started = false;
  /** Protocol messages handled. */
  messages = 0;
  private closed = false;
  private failure: Error | null = null;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly service: LogicalReplicationService;
  private readonly plugin: RawTextPgoutputPlugin;

  constructor(private readonly o: SessionOptions) {
    this.plugin = new RawTextPgoutputPlugin({ protoVersion: 1, publicationNames: [o.publication], messages: true });
    this.service = new LogicalReplicationService(sourceClientConfig(o.url, 'auditql-capture'), {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    this.service.on('start', () => {
      this.started = true;
      o.onStart?.();
      void this.sendStatus();
      this.statusTimer = setInterval(() => void this.sendStatus(), STATUS_INTERVAL_MS);
    });
    this.service.on('data', async (lsn: string, message: ParsedMessage) => {
      if (this.closed) return;
      this.messages++;
      try {
        if (message.tag === 'unparsable') throw new ProtocolError(`unparsable pgoutput message: ${message.error.message}`);
        await o.onMessage(lsn, message, this);
      } catch (err) {
        this.abort(err instanceof Error ? err : new Error(String(err)));
      }
    });
    this.service.on('heartbeat', (_lsn: string, _time: number, shouldRespond: boolean) => {
      if (shouldRespond) void this.sendStatus();
    });
    this.service.on('error', (err: Error) => {
      if (!this.closed) this.failure ??= err;
      o.log.debug(`replication connection: ${err.message}`);
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Stream until the connection ends: resolves after close(), rejects when the server or the handler failed. */
  async run(): Promise<void> {
    try {
      await this.service.subscribe(this.plugin as never, this.o.slot, formatLsn(this.o.startLsn));
    } catch (err) {
      if (!this.closed) throw err;
    }
    if (this.failure) throw this.failure;
    if (!this.closed) throw new Error('the server ended the replication stream');
  }

  /** Report the durable LSN (write = flush = apply) to the server. */
  async sendStatus(): Promise<void> {
    const lsn = this.o.confirmed();
    if (this.closed || !this.started || lsn <= 0n) return;
    try {
      // the library reports the LSN it is given + 1: give it one less, so the server sees exactly `lsn`
      await this.service.acknowledge(formatLsn(lsn - 1n));
    } catch (err) {
      this.o.log.debug(`replication status update failed: ${(err as Error).message}`);
    }
  }

  /** End the session from our side (stop, or a handler failure recorded by abort()). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statusTimer);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([this.service.destroy().then(() => undefined, () => undefined), timeout]);
  }

  private abort(err: Error): void {
    this.failure ??= err;
    void this.close();
  }
}
