/**
 * Read a source's stored events back from the warehouse in the normalized, comparable shape
 * (test/helpers/fixtures.ts `comparable`): proof that what was decoded is what was stored.
 */
import type pg from 'pg';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const num = (v: string | null) => (v === null ? null : Number(v));

export async function readBack(pool: pg.Pool, source: string): Promise<Record<string, unknown[]>> {
  const q = (sql: string) => pool.query(sql, [source]).then((r) => r.rows);
  const changes = (await q(`select * from auditql.changes_whole where source = $1 order by seq`)).map((r) => ({
    kind: 'change', format: r.format, operation: r.operation, database: r.database_name, schema: r.schema_name,
    table: r.table_name, key: r.key, keySource: r.key_source, before: r.before, after: r.after,
    beforeComplete: r.before_complete, unknownBefore: r.unknown_before, unknownAfter: r.unknown_after,
    changedFields: r.changed_fields, txId: r.tx_id, txOrder: num(r.tx_order), committedAt: iso(r.committed_at),
    committedAtSource: r.committed_at_source, origin: { server: r.server, connection: r.connection, user: r.source_user },
    extra: r.extra,
  }));
  const activity = (await q(`select * from auditql.activity where source = $1 order by seq`)).map((r) => ({
    kind: 'activity', format: r.format, class: r.class, rawClass: r.raw_class, command: r.command,
    commandText: r.command_text, objectType: r.object_type, objectName: r.object_name, database: r.database_name,
    dbUser: r.db_user, remoteHost: r.remote_host, remotePort: r.remote_port, clientApplication: r.client_application,
    sessionId: r.session_id, pid: r.pid, statementId: r.statement_id, substatementId: r.substatement_id,
    rowCount: num(r.row_count), exitCode: r.exit_code, errorMessage: r.error_message, txId: r.tx_id,
    startedAt: iso(r.started_at), occurredAt: iso(r.occurred_at), server: r.server, parameters: r.parameters, extra: r.extra,
  }));
  const context = (await q(`select * from auditql.contexts where source = $1 order by seq`)).map((r) => ({
    kind: 'context', format: r.format, txId: r.tx_id, server: r.server, prefix: r.prefix, transactional: r.transactional,
    content: r.content, appUser: r.app_user, occurredAt: iso(r.occurred_at),
  }));
  const transaction = (await q(`select * from auditql.transaction_events where source = $1 order by seq`)).map((r) => ({
    kind: 'transaction', format: r.format, status: r.status, txId: r.tx_id, server: r.server,
    occurredAt: iso(r.occurred_at), eventCount: num(r.event_count), dataCollections: r.data_collections,
  }));
  const schemaChange = (await q(`select * from auditql.schema_changes where source = $1 order by seq`)).map((r) => ({
    kind: 'schema-change', format: r.format, changeType: r.change_type, database: r.database_name, schema: r.schema_name,
    table: r.table_name, ddl: r.ddl, server: r.server, occurredAt: iso(r.occurred_at), detail: r.detail,
  }));
  return { change: changes, activity, context, transaction, 'schema-change': schemaChange };
}

/** Group expected events by kind, keeping their order (the warehouse keeps per-kind order by seq). */
export function byKind(events: readonly unknown[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = { change: [], activity: [], context: [], transaction: [], 'schema-change': [] };
  for (const e of events) out[(e as { kind: string }).kind]!.push(e);
  return out;
}
