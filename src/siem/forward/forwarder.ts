/**
 * One forwarder (docs/siem.md "Delivery"): follows the warehouse feed in seq order from its own durable
 * cursor, sends batches (by size, and at least every `flushMs`), and advances the cursor only after the
 * destination acknowledged. At least once: a crash between the acknowledgement and the cursor update
 * sends that batch again, each event carrying its cursor (`metadata.uid`, `event.id`, `cursor`) for
 * deduplication. A failing destination or warehouse is retried with backoff and jitter, for as long as it
 * lasts; the forwarder only reads the warehouse, so ingest and the API never wait on it.
 */
import type { Kysely } from 'kysely';
import type { Logger } from '../../log.js';
import type { Warehouse } from '../../warehouse/tables.js';
import { feedHead } from '../../warehouse/queries/feed.js';
import { advanceForwarder, forwarderFailed, openForwarder } from '../../warehouse/queries/forwarders.js';
import { backoff } from '../../retry-policy.js';
import { abortableSleep } from '../../abortable-sleep.js';
import { readFeedEvents, type FeedFilter } from '../feed-events.js';
import { eventTime } from '../siem-input.js';
import { formatEvent, type SiemFormat } from '../siem-format.js';
import { deliveryErrorCode, type Destination, type OutgoingEvent } from './destination.js';
import type { RoleView } from '../../policy/role-view.js';
import { maskedInput } from '../masked-input.js';

/** Told what a forwarder does, for its metrics (src/metrics/forwarder-metrics.ts). */
export interface ForwarderObserver {
  /** The destination acknowledged a batch of `events` (> 0). */
  acked(events: number): void;
  /** A step failed and will be retried: with the destination's code when the send failed, else WAREHOUSE. */
  failed(code: string, destination: boolean): void;
  /** A step that had failed succeeded. */
  recovered?(): void;
  /** The forwarder stopped on an error it does not retry (it forwards nothing more). */
  ended?(): void;
}

export interface ForwarderOptions {
  readonly name: string;
  readonly db: Kysely<Warehouse>;
  readonly destination: Destination;
  readonly destinationKind: string;
  readonly format: SiemFormat;
  readonly filter: FeedFilter;
  /** The role whose scope and masking every event goes through before it is formatted (`--role`). */
  readonly view: RoleView;
  readonly log: Logger;
  /** Events per request (default 500). */
  readonly batchSize?: number;
  /** How often the feed is read for new events (default 1000 ms). */
  readonly flushMs?: number;
  /** Told after each acknowledged batch: the cursor it reached and how many events it held. */
  readonly onAcked?: (seq: string, events: number) => void;
  readonly observer?: ForwarderObserver;
}

export class Forwarder {
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  cursor = '0';

  constructor(private readonly o: ForwarderOptions) {}

  start(): Promise<void> {
    this.running ??= this.run().catch((err: unknown) => {
      this.o.observer?.ended?.();
      throw err;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => {});
    await this.o.destination.close();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Waits until `ms` passed or the forwarder stops (the abort listener goes with the wait). */
  private sleep(ms: number): Promise<void> {
    return abortableSleep(ms, this.abort.signal);
  }

  /**
   * Run `op` until it succeeds or the forwarder stops; each failure is logged, recorded with its code
   * (the destination's, or WAREHOUSE for the warehouse steps) and waited out.
   */
  private async retrying<T>(what: string, op: () => Promise<T>, destination = false): Promise<T | null> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const r = await op();
        if (attempt > 1) {
          this.o.log.info(`forwarder ${this.o.name}: ${what} succeeded after ${attempt} attempts`);
          this.o.observer?.recovered?.();
        }
        return r;
      } catch (err) {
        if (this.stopped) return null;
        const message = (err as Error).message;
        const wait = backoff(attempt);
        this.o.log.warn(`forwarder ${this.o.name}: ${what} failed (${message}); retrying in ${wait} ms`);
        const code = destination ? deliveryErrorCode(err) : 'WAREHOUSE';
        this.o.observer?.failed(code, destination);
        await forwarderFailed(this.o.db, this.o.name, `${what}: ${message}`, code).catch(() => {});
        await this.sleep(wait);
      }
    }
    return null;
  }

  private async run(): Promise<void> {
    const o = this.o;
    const row = await this.retrying('opening its cursor', () => openForwarder(o.db, o.name, o.destinationKind, o.format, o.view.role));
    if (!row) return;
    this.cursor = row.ackedSeq;
    o.log.info(`forwarder ${o.name}: ${o.destination.description}, ${o.format}, role ${o.view.role}, from seq ${this.cursor}`);
    while (!this.stopped) {
      const head = await this.retrying('reading the feed head', () => feedHead(o.db));
      if (head === null) return;
      while (!this.stopped && BigInt(this.cursor) < BigInt(head)) {
        const page = await this.retrying('reading the feed', () =>
          readFeedEvents(o.db, o.filter, { after: this.cursor, upto: head, limit: o.batchSize ?? 500 }));
        if (!page) return;
        const batch: OutgoingEvent[] = [];
        for (const raw of page.events) {
          const input = maskedInput(o.view, raw);
          if (input) batch.push({ input, body: formatEvent(o.format, input), timeMs: eventTime(input).getTime() });
        }
        if (batch.length > 0 && (await this.retrying(`sending ${batch.length} events`, () => o.destination.send(batch, this.abort.signal), true)) === null) return;
        if ((await this.retrying('advancing its cursor', () => advanceForwarder(o.db, o.name, page.upto, batch.length))) === null) return;
        this.cursor = page.upto;
        if (batch.length) {
          o.observer?.acked(batch.length);
          o.onAcked?.(page.upto, batch.length);
        }
      }
      await this.sleep(o.flushMs ?? 1000);
    }
  }
}
