/**
 * Forwarder cursors (auditql.forwarders, migrations/030_forwarders.sql; docs/siem.md "Delivery"): read at
 * start, advanced after each acknowledged batch, and the lag every forwarder has behind the feed head.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

export interface ForwarderRecord {
  readonly name: string;
  readonly destination: string;
  readonly format: string;
  /** The role its events are masked as (null: a row written before roles). */
  readonly role: string | null;
  readonly ackedSeq: string;
  readonly ackedEvents: string;
  readonly ackedAt: Date | null;
  readonly lastError: string | null;
  /** The stable code of the last error (docs/siem.md "Failures"). */
  readonly lastErrorCode: string | null;
  readonly lastErrorAt: Date | null;
}

const COLUMNS = sql`name, destination, format, role, acked_seq::text as "ackedSeq", acked_events::text as "ackedEvents",
  acked_at as "ackedAt", last_error as "lastError", last_error_code as "lastErrorCode", last_error_at as "lastErrorAt"`;

/** The forwarder's row, created at seq 0 (the start of the feed) when it is new. */
export async function openForwarder(db: Kysely<Warehouse>, name: string, destination: string, format: string, role: string): Promise<ForwarderRecord> {
  const r = await sql<ForwarderRecord>`insert into auditql.forwarders (name, destination, format, role) values (${name}, ${destination}, ${format}, ${role})
    on conflict (name) do update set destination = excluded.destination, format = excluded.format, role = excluded.role returning ${COLUMNS}`.execute(db);
  return r.rows[0]!;
}

/** The destination acknowledged everything matching up to `seq`: move the cursor (never backwards). */
export async function advanceForwarder(db: Kysely<Warehouse>, name: string, seq: string, events: number): Promise<void> {
  await sql`update auditql.forwarders set acked_seq = greatest(acked_seq, ${seq}::int8), acked_events = acked_events + ${events},
    acked_at = now(), last_error = null, last_error_code = null where name = ${name}`.execute(db);
}

export async function forwarderFailed(db: Kysely<Warehouse>, name: string, error: string, code: string): Promise<void> {
  await sql`update auditql.forwarders set last_error = ${error}, last_error_code = ${code}, last_error_at = now() where name = ${name}`.execute(db);
}

/** The most stored events a lag count walks: past it the lag reads as this many (a gauge, not an audit). */
export const LAG_COUNT_CAP = 1_000_000;

export interface ForwarderLag extends ForwarderRecord {
  /** Feed seqs between its cursor and the head (an upper bound on the events it has yet to send). */
  readonly lagSeqs: string;
  /**
   * Stored changes and activity above its cursor (matching its filter or not), at most LAG_COUNT_CAP per
   * table: what it has yet to read.
   */
  readonly lagEvents: number;
  /** How long the oldest event above its cursor has been stored, in seconds; 0 when it is caught up. */
  readonly lagSeconds: number;
}

/**
 * Every forwarder with its lag, one statement: index probes on `changes_seq` / `activity_seq` per
 * partition for the oldest event above each cursor, and a count bounded by LAG_COUNT_CAP.
 */
export async function forwarderLags(db: Kysely<Warehouse>): Promise<ForwarderLag[]> {
  const r = await sql<ForwarderLag>`select ${COLUMNS}, greatest(0, greatest(
      coalesce((select max(seq) from auditql.changes), 0),
      coalesce((select max(seq) from auditql.activity), 0)) - acked_seq)::text as "lagSeqs",
    ((select count(*) from (select 1 from auditql.changes c where c.seq > f.acked_seq limit ${LAG_COUNT_CAP}) x)
      + (select count(*) from (select 1 from auditql.activity a where a.seq > f.acked_seq limit ${LAG_COUNT_CAP}) y))::float8 as "lagEvents",
    coalesce(extract(epoch from now() - least(
      (select c.ingested_at from auditql.changes c where c.seq > f.acked_seq order by c.seq limit 1),
      (select a.ingested_at from auditql.activity a where a.seq > f.acked_seq order by a.seq limit 1))), 0)::float8 as "lagSeconds"
    from auditql.forwarders f order by name`.execute(db);
  return r.rows;
}
