/**
 * The access audit (migrations/011_api_security.sql `auditql.api_access`): append records, page them and
 * follow them in `seq` order.
 *
 * Why `seq` is safe to follow, with any number of API processes writing: every batch is inserted under one
 * transaction-scoped advisory lock (`ACCESS_LOCK`), taken before its `seq`s are drawn and held until it
 * commits, and PostgreSQL makes a transaction visible before it releases its locks. So when a snapshot
 * sees a record with seq S, every record with a smaller seq that will ever exist is already visible in it
 * (a seq drawn by a batch that rolled back is a gap that never fills). `apiAccessHead` reads the highest
 * seq visible; `seq > after and seq <= head` then returns the same records whenever it runs, which is what
 * `Subscription.apiAccessAdded` relies on, exactly like the change feed (src/warehouse/queries/feed.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';
import type { FeedSlice } from './feed.js';

/** The advisory lock of access-record inserts (its own: recording never waits on ingest's FEED_LOCK). */
export const ACCESS_LOCK = 7_411_011;
/** NOTIFY channel woken when access records commit; payload = the batch's highest seq. */
export const ACCESS_CHANNEL = 'auditql_api_access';

export interface ApiAccessEntry {
  readonly at: Date;
  readonly principal: string | null;
  readonly role: string | null;
  readonly authKind: string | null;
  readonly clientAddress: string | null;
  readonly transport: 'http' | 'ws';
  readonly event: 'operation' | 'refusal' | 'subscription_start' | 'subscription_end';
  readonly operationType: string | null;
  readonly operationName: string | null;
  readonly documentHash: string | null;
  /** Names → redacted markers: values never reach the audit (they may be the very secrets masked). */
  readonly variables: Readonly<Record<string, unknown>> | null;
  readonly rowsReturned: number | null;
  readonly decision: 'allowed' | 'refused';
  readonly reason: string | null;
  readonly durationMs: number | null;
}

export interface ApiAccessRecord extends ApiAccessEntry {
  readonly seq: string;
}

/** What `apiAccess(filter:)` and `apiAccessAdded(filter:)` narrow by; absent fields do not narrow. */
export interface ApiAccessQuery {
  readonly principal?: string | null;
  readonly role?: string | null;
  readonly decision?: string | null;
  readonly event?: string | null;
  readonly operationName?: string | null;
  /** `at` in `[since, until)`. */
  readonly since?: Date | null;
  readonly until?: Date | null;
}

/** One INSERT for the whole batch, under ACCESS_LOCK (see above), then a NOTIFY with its highest seq. */
export async function insertApiAccess(db: Kysely<Warehouse>, entries: readonly ApiAccessEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${ACCESS_LOCK})`.execute(tx);
    const rows = await insertRows(tx, entries);
    const top = rows.reduce((m, r) => (BigInt(r.seq) > m ? BigInt(r.seq) : m), 0n);
    await sql`select pg_notify(${ACCESS_CHANNEL}, ${String(top)})`.execute(tx);
  });
}

function insertRows(db: Kysely<Warehouse>, entries: readonly ApiAccessEntry[]) {
  return db.insertInto('auditql.api_access').values(entries.map((e) => ({
    at: e.at, principal: e.principal, role: e.role, auth_kind: e.authKind, client_address: e.clientAddress, transport: e.transport,
    event: e.event, operation_type: e.operationType, operation_name: e.operationName, document_hash: e.documentHash,
    variables: e.variables === null ? null : JSON.stringify(e.variables), rows_returned: e.rowsReturned, decision: e.decision,
    reason: e.reason, duration_ms: e.durationMs,
  }))).returning('seq').execute();
}

function selectMatching(db: Kysely<Warehouse>, f: ApiAccessQuery) {
  let q = db.selectFrom('auditql.api_access').select([
    'seq', 'at', 'principal', 'role', 'auth_kind as authKind', 'client_address as clientAddress', 'transport', 'event', 'operation_type as operationType',
    'operation_name as operationName', 'document_hash as documentHash', 'variables', 'rows_returned as rowsReturned', 'decision', 'reason',
    'duration_ms as durationMs',
  ]);
  if (f.principal != null) q = q.where('principal', '=', f.principal);
  if (f.role != null) q = q.where('role', '=', f.role);
  if (f.decision != null) q = q.where('decision', '=', f.decision);
  if (f.event != null) q = q.where('event', '=', f.event);
  if (f.operationName != null) q = q.where('operation_name', '=', f.operationName);
  if (f.since != null) q = q.where('at', '>=', f.since);
  if (f.until != null) q = q.where('at', '<', f.until);
  return q;
}

/** Records matching `filter` above `afterSeq`, oldest first; `limit` of them. */
export function pageApiAccess(db: Kysely<Warehouse>, o: { limit: number; afterSeq: string | null; filter?: ApiAccessQuery }): Promise<ApiAccessRecord[]> {
  let q = selectMatching(db, o.filter ?? {});
  if (o.afterSeq !== null) q = q.where('seq', '>', o.afterSeq);
  return q.orderBy('seq').limit(o.limit).execute() as Promise<ApiAccessRecord[]>;
}

/** The highest access-record seq visible now ("0" when there is none); everything at or below it is settled. */
export async function apiAccessHead(db: Kysely<Warehouse>): Promise<string> {
  const r = await sql<{ head: string }>`select coalesce(max(seq), 0)::int8 as head from auditql.api_access`.execute(db);
  return r.rows[0]?.head ?? '0';
}

/** Records matching `filter` in the slice (`after < seq <= upto`), oldest first. */
export function feedApiAccess(db: Kysely<Warehouse>, filter: ApiAccessQuery, s: FeedSlice): Promise<ApiAccessRecord[]> {
  return selectMatching(db, filter).where('seq', '>', s.after).where('seq', '<=', s.upto)
    .orderBy('seq').limit(s.limit).execute() as Promise<ApiAccessRecord[]>;
}
