/**
 * The built-in PostgreSQL capture as a Source (docs/architecture.md "Where the data comes from"; docs/sources/postgres.md):
 * logical replication with pgoutput from a slot, turned into auditql pgoutput records
 * (docs/formats/pgoutput.md) that the pgoutput decoder reads.
 *
 * Exactly once, together with the warehouse:
 * - a Commit record carries the checkpoint `{stream: "slot:<name>", position: <commit end LSN>}`, written by
 *   the sink in the same transaction as the batch holding it;
 * - `acknowledge()` — called only after that transaction committed — reports that LSN to the server as
 *   flushed, so the slot's confirmed_flush_lsn never passes what the warehouse holds;
 * - a start resumes from the warehouse checkpoint (`startLsn`): the server skips every transaction that
 *   committed before it and sends the rest again from its Begin; records of a transaction that was partly
 *   stored before a crash come again with the same positions and are absorbed by the sink's unique key.
 * A dropped connection (the source restarted, the network failed) is retried with exponential backoff and
 * jitter (about 1 s doubling, 30 s at most), resuming after the last transaction already handed to the
 * pipeline, for as long as `outageLimitMs` allows (default: forever).
 */
import pg from 'pg';
import type { Pgoutput } from 'pg-logical-replication';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Checkpoint } from '../../contracts/records.js';
import type { Source, SourceLag } from '../../contracts/source.js';
import type { SourceRecord } from '../../contracts/records.js';
import { databaseOf, sourceClientConfig } from './connection.js';
import { formatLsn, isLsn, maxLsn, parseLsn } from './lsn.js';
import { preflight, type PreflightResult } from './preflight.js';
import { ProtocolError, RecordBuilder } from './record-builder.js';
import { RecordQueue } from '../record-queue.js';
import { RelationCatalog } from './relation-catalog.js';
import { backoff } from '../../retry-policy.js';
import { ReplicationSession } from './replication-session.js';
import { SlotLag } from './slot-lag.js';

export interface PostgresSourceOptions {
  /** The source database (a role with REPLICATION, or superuser). */
  readonly url: string;
  readonly publication: string;
  readonly slot: string;
  /** Create the slot (plugin pgoutput) when it does not exist. */
  readonly createSlot?: boolean;
  /** The warehouse checkpoint of this slot's stream for this source, if any: where to resume. */
  readonly startLsn?: string | null;
  readonly log: Logger;
  /** Records buffered between the replication stream and the pipeline (default 2000). */
  readonly queueCapacity?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long the source may stay unreachable before the capture fails (default Infinity; src/retry-policy.ts). */
  readonly outageLimitMs?: number;
}

/** The checkpoint stream of a slot. */
export const slotStream = (slot: string) => `slot:${slot}`;

// Errors a reconnect cannot cure: the slot or publication is gone, the role may not replicate, the slot was
// invalidated (WAL removed), the database is gone.
const FATAL = new Set(['42704', '3D000', '28000', '28P01', '42501', '55000']);

export class PostgresSource implements Source {
  readonly description: string;
  readonly stream: string;
  private acked: bigint;
  private resume: bigint;
  private session: ReplicationSession | null = null;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly queue: RecordQueue<SourceRecord>;
  private readonly catalog: RelationCatalog;
  private readonly slotLag: SlotLag;

  constructor(private readonly o: PostgresSourceOptions, private readonly pool: pg.Pool, private readonly pre: PreflightResult) {
    this.description = `postgres ${databaseOf(o.url)} slot ${o.slot} publication ${o.publication}`;
    this.stream = slotStream(o.slot);
    this.queue = new RecordQueue<SourceRecord>(o.queueCapacity ?? 2000);
    this.catalog = new RelationCatalog(pool, o.log);
    this.slotLag = new SlotLag(pool, o.slot, this.stream);
    const checkpoint = o.startLsn ? parseLsn(o.startLsn) : null;
    this.acked = maxLsn(checkpoint ?? 0n, pre.slotConfirmed);
    this.resume = checkpoint ?? 0n;
    if (checkpoint !== null && pre.slotConfirmed > checkpoint) {
      o.log.warn(
        `replication slot "${o.slot}" has confirmed LSN ${formatLsn(pre.slotConfirmed)}, past this source's warehouse checkpoint ` +
          `${formatLsn(checkpoint)}: another consumer of the slot confirmed the transactions in between, and they cannot be captured here`,
      );
    }
  }

  /** The LSN the warehouse holds everything before (what the slot is told it may forget). */
  get confirmedLsn(): string {
    return formatLsn(this.acked);
  }

  records(): AsyncIterable<SourceRecord> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        if (!self.loop) {
          self.o.log.info(
            `capturing ${self.description} from ${self.resume > 0n ? `LSN ${formatLsn(self.resume)} (warehouse checkpoint)` : `the slot's confirmed LSN ${formatLsn(self.pre.slotConfirmed)}`}`,
          );
          self.loop = self.replicate().catch((err) => self.queue.fail(err));
        }
        try {
          yield* self.queue.drain();
        } finally {
          self.stop();
        }
      },
    };
  }

  async acknowledge(checkpoints: readonly Checkpoint[]): Promise<void> {
    for (const cp of checkpoints) {
      if (cp.stream !== this.stream || !isLsn(cp.position)) continue;
      const lsn = parseLsn(cp.position);
      if (lsn <= this.acked) continue;
      this.acked = lsn;
      this.slotLag.stored(lsn);
      await this.session?.sendStatus();
    }
  }

  /** The slot's lag: WAL bytes after its confirmed LSN (asked of the source) and seconds (slot-lag.ts). */
  lag(): Promise<readonly SourceLag[]> {
    return this.slotLag.read();
  }

  /** Stop producing records; the replication connection stays open for the final acknowledgement until close(). */
  stop(): void {
    this.stopping = true;
    // Queued records are dropped, not handed over: none will be acknowledged, so the slot sends them again.
    this.queue.discard();
    this.slotLag.clear();
    this.wake?.();
  }

  /** Stop, end the replication connection and the catalog connections. */
  async close(): Promise<void> {
    this.stop();
    await this.session?.close();
    await this.loop;
    await this.pool.end().catch(() => {});
  }

  private async replicate(): Promise<void> {
    let failures = 0;
    let since = 0;
    let reconnecting = false;
    while (!this.stopping) {
      const builder = new RecordBuilder(this.pre.source, this.stream);
      const from = this.resume;
      const session = new ReplicationSession({
        url: this.o.url,
        slot: this.o.slot,
        publication: this.o.publication,
        startLsn: from,
        onMessage: (lsn, message, s) => this.handle(lsn, message, s, builder),
        confirmed: () => this.acked,
        onStart: () => {
          if (reconnecting) this.o.log.info(`source connection re-established; streaming from LSN ${formatLsn(from)}`);
          reconnecting = false;
        },
        log: this.o.log,
      });
      this.session = session;
      let error: unknown;
      try {
        await session.run();
      } catch (err) {
        error = err;
      } finally {
        await session.close();
        this.session = null;
      }
      if (this.stopping) return;
      const code = (error as { code?: string } | undefined)?.code;
      const message = error instanceof Error ? error.message : 'the replication stream ended';
      if (code !== undefined && FATAL.has(code)) {
        throw new AuditqlError(ErrorCode.BAD_CONFIG, `source replication failed and cannot be retried: ${message} [${code}]`, { cause: error });
      }
      if (session.messages > 0) {
        failures = 0;
        since = 0;
      }
      const now = Date.now();
      since ||= now;
      if (now - since >= (this.o.outageLimitMs ?? Number.POSITIVE_INFINITY)) {
        throw new AuditqlError(ErrorCode.SOURCE_UNAVAILABLE,
          `the source database ${databaseOf(this.o.url)} stayed unreachable; gave up after ${Math.round((now - since) / 1000)} s (AUDITQL_OUTAGE_LIMIT_S): ${message}`, { cause: error });
      }
      failures++;
      const delay = backoff(failures, { initialMs: this.o.initialBackoffMs ?? 1000, maxMs: this.o.maxBackoffMs ?? 30_000 });
      const what = error instanceof ProtocolError ? 'replication stream failed' : 'source connection lost';
      // one line per outage; every further attempt only at debug level
      (reconnecting ? this.o.log.debug : this.o.log.warn)(`${what} (${message}); reconnecting in ${delay} ms, resuming from LSN ${formatLsn(this.resume)}`);
      reconnecting = true;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async handle(lsn: string, message: Pgoutput.Message, session: ReplicationSession, builder: RecordBuilder): Promise<void> {
    if (message.tag === 'relation') {
      builder.setRelation(await this.catalog.describe(message));
      return;
    }
    for (const built of builder.accept(lsn, message)) {
      const queued = await this.queue.push(built.record, () => session.isOpen && !this.stopping);
      if (!queued) return;
      if (built.committedAtMs !== undefined && built.resumeLsn !== undefined) this.slotLag.handedOn(built.resumeLsn, built.committedAtMs);
      if (built.resumeLsn !== undefined && built.resumeLsn > this.resume) this.resume = built.resumeLsn;
    }
  }
}

/** Check the source (wal_level, publication, slot — created with createSlot —, identity) and open it. */
export async function openPostgresSource(o: PostgresSourceOptions): Promise<PostgresSource> {
  const pool = new pg.Pool({ ...sourceClientConfig(o.url, 'auditql-capture'), max: 2 });
  pool.on('error', (err) => o.log.debug(`source catalog connection: ${err.message}`));
  // a checked-out client whose connection dies emits 'error' as well; its query fails with it
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const pre = await preflight(pool, { url: o.url, publication: o.publication, slot: o.slot, createSlot: o.createSlot ?? false, log: o.log });
    return new PostgresSource(o, pool, pre);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
}
