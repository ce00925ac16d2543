/**
 * The one `LISTEN auditql_feed` connection of an API process (src/warehouse/sink.ts `FEED_CHANNEL`: the
 * sink notifies with its highest seq when a batch commits). A wake-up only — rows are always read from the
 * warehouse — so a lost notification costs latency, never a row: the feed also polls.
 *
 * A dedicated `pg.Client`, not a pool client. When it drops it is reopened with exponential backoff, and
 * every (re)connect wakes the feed, which re-reads from each subscription's cursor: whatever committed
 * while the connection was down is read then. A periodic `select 1` finds a connection that died silently.
 */
import pg from 'pg';
import type { Logger } from '../log.js';
import { FEED_CHANNEL } from '../warehouse/sink.js';

export interface FeedListenerOptions {
  readonly url: string;
  /** The channel to LISTEN on (default FEED_CHANNEL, the sink's). */
  readonly channel?: string;
  /** Called on every notification (with its payload) and after every (re)connect (with null). */
  readonly onWake: (hint: string | null) => void;
  readonly log: Logger;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How often the connection is checked with `select 1` (default 30 s). */
  readonly healthCheckMs?: number;
}

export class FeedListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoffMs: number;
  private retry: NodeJS.Timeout | null = null;
  private health: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;
  /** Connections opened so far (tests and stats). */
  connects = 0;

  constructor(private readonly o: FeedListenerOptions) {
    this.backoffMs = o.initialBackoffMs ?? 250;
  }

  get listening(): boolean {
    return this.client !== null;
  }

  /** Connect and LISTEN; resolves after the first attempt (a failure is retried in the background). */
  start(): Promise<void> {
    this.connecting ??= this.connect();
    const every = this.o.healthCheckMs ?? 30_000;
    this.health ??= setInterval(() => void this.check(), every).unref();
    return this.connecting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.health) clearInterval(this.health);
    this.retry = this.health = null;
    await this.connecting?.catch(() => {});
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.o.url, application_name: 'auditql-feed', keepAlive: true });
    let failed = false;
    const lost = (why: string) => {
      if (failed) return;
      failed = true;
      if (this.client === c) this.client = null;
      c.end().catch(() => {});
      if (!this.stopped) {
        this.o.log.warn(`change feed: LISTEN connection lost (${why}); reconnecting in ${this.backoffMs} ms`);
        this.schedule();
      }
    };
    c.on('error', (err) => lost(err.message));
    c.on('end', () => lost('connection ended'));
    c.on('notification', (n) => {
      if (n.channel === (this.o.channel ?? FEED_CHANNEL)) this.o.onWake(n.payload ?? null);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${this.o.channel ?? FEED_CHANNEL}`);
    } catch (err) {
      lost((err as Error).message);
      return;
    } finally {
      this.connecting = null;
    }
    if (this.stopped) {
      await c.end().catch(() => {});
      return;
    }
    this.client = c;
    this.connects++;
    this.backoffMs = this.o.initialBackoffMs ?? 250;
    // Anything committed while no LISTEN was active is read now.
    this.o.onWake(null);
  }

  private schedule(): void {
    if (this.retry || this.stopped) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 10_000);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connecting ??= this.connect();
    }, wait);
    this.retry.unref();
  }

  private async check(): Promise<void> {
    const c = this.client;
    if (!c || this.stopped) return;
    const timeout = setTimeout(() => c.emit('error', new Error('health check timed out')), 10_000).unref();
    try {
      await c.query('select 1');
    } catch {
      // the 'error' handler reconnects
    } finally {
      clearTimeout(timeout);
    }
  }
}
