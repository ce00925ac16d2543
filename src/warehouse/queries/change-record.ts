/**
 * One stored change as the read side sees it (auditql.changes, migrations/001_warehouse.sql), and the
 * column list every change query selects so they all map rows the same way.
 */
import { sql, type RawBuilder } from 'kysely';
import type { JsonRow } from '../../model/json.js';
import type { Operation } from '../../model/events.js';
import { partUsOf, type Keyset } from './keyset.js';
import { storedKeySql } from '../stored-key.js';
import { changeExtraSql } from '../source-blocks.js';

export interface ChangeRecord extends Keyset {
  readonly source: string;
  readonly position: string;
  readonly format: string;
  readonly operation: Operation;
  readonly database: string | null;
  readonly schema: string | null;
  readonly table: string;
  readonly key: JsonRow;
  readonly keyText: string;
  readonly keySource: string;
  readonly before: JsonRow | null;
  readonly after: JsonRow | null;
  readonly beforeComplete: boolean;
  readonly unknownBefore: readonly string[];
  readonly unknownAfter: readonly string[];
  readonly changedFields: readonly string[];
  readonly txId: string | null;
  readonly txOrder: string | null;
  readonly committedAt: Date | null;
  readonly committedAtSource: string;
  readonly server: string | null;
  readonly connection: string | null;
  readonly extra: JsonRow;
  readonly ingestedAt: Date;
}

// Built once per alias (Kysely builders are immutable): parsing 26 references on every query was a large
// share of compiling an entity's page (BENCHMARKS.md bench:query).
const columnsByAlias = new Map<string, RawBuilder<unknown>>();

/** The SELECT list for alias `c`, in the shape of `ChangeRecord`. */
export const changeColumns = (alias = 'c'): RawBuilder<unknown> => {
  let columns = columnsByAlias.get(alias);
  if (!columns) columnsByAlias.set(alias, (columns = buildChangeColumns(alias)));
  return columns;
};

const buildChangeColumns = (alias: string): RawBuilder<unknown> => {
  const c = (col: string) => sql.ref(`${alias}.${col}`);
  return sql`${c('seq')} as "seq", ${partUsOf(alias)} as "partUs", ${c('source')} as "source",
    ${c('position')} as "position", ${c('format')} as "format", ${c('operation')} as "operation",
    ${c('database_name')} as "database", ${c('schema_name')} as "schema", ${c('table_name')} as "table",
    ${sql.raw(storedKeySql(alias))} as "key", ${c('key_text')} as "keyText", ${c('key_source')} as "keySource",
    ${c('before')} as "before", ${c('after')} as "after", ${c('before_complete')} as "beforeComplete",
    ${c('unknown_before')} as "unknownBefore", ${c('unknown_after')} as "unknownAfter",
    ${c('changed_fields')} as "changedFields", ${c('tx_id')} as "txId", ${c('tx_order')} as "txOrder",
    ${c('committed_at')} as "committedAt", ${c('committed_at_source')} as "committedAtSource",
    ${c('server')} as "server", ${c('connection')} as "connection", ${sql.raw(changeExtraSql(alias))} as "extra",
    ${c('ingested_at')} as "ingestedAt"`;
};
