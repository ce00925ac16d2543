/**
 * One stored activity event as the read side sees it (auditql.activity), and the column list every
 * activity query selects. `failed` is derived once, here, so filters and fields agree.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Json, JsonRow } from '../../model/json.js';
import { partUsOf, type Keyset } from './keyset.js';

export interface ActivityRecord extends Keyset {
  readonly source: string;
  readonly position: string;
  readonly format: string;
  readonly class: string;
  readonly rawClass: string | null;
  readonly command: string | null;
  readonly commandText: string | null;
  readonly objectType: string | null;
  readonly objectName: string | null;
  readonly database: string | null;
  readonly dbUser: string | null;
  readonly remoteHost: string | null;
  readonly remotePort: string | null;
  readonly clientApplication: string | null;
  readonly sessionId: string | null;
  readonly pid: string | null;
  readonly statementId: string | null;
  readonly substatementId: string | null;
  readonly rowCount: string | null;
  readonly exitCode: string | null;
  readonly errorMessage: string | null;
  readonly txId: string | null;
  readonly startedAt: Date | null;
  readonly occurredAt: Date | null;
  readonly server: string | null;
  readonly parameters: Json;
  readonly extra: JsonRow;
  readonly failed: boolean;
  readonly ingestedAt: Date;
}

/**
 * An activity failed when it is classed as an error or a failed login, or it carries an error message.
 * The exit code is not read here: what it means is the format's and the engine's (PostgreSQL's SQLSTATE
 * `00000` and SQL Server's `1` are success, MySQL's `0` too), so the decoder that knows reads it and
 * classes a failure ERROR or AUTH_FAILURE (src/decoders/das/classify.ts, src/decoders/pgaudit/to-activity.ts).
 */
export const activityFailed = (alias = 'a'): RawBuilder<boolean> => {
  const a = (col: string) => sql.ref(`${alias}.${col}`);
  return sql<boolean>`(${a('class')} in ('ERROR', 'AUTH_FAILURE') or ${a('error_message')} is not null)`;
};

/** The SELECT list for alias `a`, in the shape of `ActivityRecord`. */
export const activityColumns = (alias = 'a'): RawBuilder<unknown> => {
  const a = (col: string) => sql.ref(`${alias}.${col}`);
  return sql`${a('seq')} as "seq", ${partUsOf(alias)} as "partUs", ${a('source')} as "source",
    ${a('position')} as "position", ${a('format')} as "format", ${a('class')} as "class",
    ${a('raw_class')} as "rawClass", ${a('command')} as "command", ${a('command_text')} as "commandText",
    ${a('object_type')} as "objectType", ${a('object_name')} as "objectName",
    ${a('database_name')} as "database", ${a('db_user')} as "dbUser", ${a('remote_host')} as "remoteHost",
    ${a('remote_port')} as "remotePort", ${a('client_application')} as "clientApplication",
    ${a('session_id')} as "sessionId", ${a('pid')} as "pid", ${a('statement_id')} as "statementId",
    ${a('substatement_id')} as "substatementId", ${a('row_count')} as "rowCount",
    ${a('exit_code')} as "exitCode", ${a('error_message')} as "errorMessage", ${a('tx_id')} as "txId",
    ${a('started_at')} as "startedAt", ${a('occurred_at')} as "occurredAt", ${a('server')} as "server",
    ${a('parameters')} as "parameters", ${a('extra')} as "extra", ${activityFailed(alias)} as "failed",
    ${a('ingested_at')} as "ingestedAt"`;
};
