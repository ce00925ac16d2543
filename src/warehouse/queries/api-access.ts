/** The access audit (migrations/011_api_security.sql `auditql.api_access`): append records, page them in feed order. */
import type { Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

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

/** One statement for the whole batch. */
export async function insertApiAccess(db: Kysely<Warehouse>, entries: readonly ApiAccessEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insertInto('auditql.api_access').values(entries.map((e) => ({
    at: e.at, principal: e.principal, role: e.role, auth_kind: e.authKind, client_address: e.clientAddress, transport: e.transport,
    event: e.event, operation_type: e.operationType, operation_name: e.operationName, document_hash: e.documentHash,
    variables: e.variables === null ? null : JSON.stringify(e.variables), rows_returned: e.rowsReturned, decision: e.decision,
    reason: e.reason, duration_ms: e.durationMs,
  }))).execute();
}

/** Records above `afterSeq`, oldest first; `limit` of them. */
export function pageApiAccess(db: Kysely<Warehouse>, o: { limit: number; afterSeq: string | null }): Promise<ApiAccessRecord[]> {
  let q = db.selectFrom('auditql.api_access').select([
    'seq', 'at', 'principal', 'role', 'auth_kind as authKind', 'client_address as clientAddress', 'transport', 'event', 'operation_type as operationType',
    'operation_name as operationName', 'document_hash as documentHash', 'variables', 'rows_returned as rowsReturned', 'decision', 'reason',
    'duration_ms as durationMs',
  ]);
  if (o.afterSeq !== null) q = q.where('seq', '>', o.afterSeq);
  return q.orderBy('seq').limit(o.limit).execute() as Promise<ApiAccessRecord[]>;
}
