/**
 * The canonical bytes of a stored row, version 1 (docs/ledger.md "Canonical encoding"): the UTF-8 text of
 * a JSON array, as PostgreSQL's json_build_array writes it, of
 *   "auditql-leaf/1", the table name, then every stored column of the row in the order listed here,
 * with timestamptz columns as integer microseconds since 1970-01-01 UTC (so the session's TimeZone never
 * matters), jsonb columns in jsonb's own normalized text, text[] as JSON arrays of strings, NULL as null.
 * It is computed from the rows as stored, by the same SQL expression when the sink appends a leaf and when
 * `auditql verify` recomputes it: verification needs the warehouse rows and nothing else. The expression
 * is sent by auditql, never read from a function in the warehouse, so altering the database cannot change
 * how its rows are hashed. A column added to one of these tables needs a new version of this encoding.
 *
 * Version 2 extends version 1 with one table, `api_access` (ACCESS_LEAF_TABLE), and one value rule: a
 * `double precision` column is the JSON string of its IEEE 754 binary64 bits, big-endian, in 16 lowercase
 * hex digits (float8send; never the decimal text, which extra_float_digits changes). The six tables of
 * version 1 are still encoded as version 1, so logs written before keep verifying: the version is part of
 * each leaf's bytes, per table (`LeafTable.encoding`).
 */

import { storedKeySql } from '../stored-key.js';
import { changeExtraSql } from '../source-blocks.js';

export const LEAF_ENCODING = 'auditql-leaf/1';
export const LEAF_ENCODING_V2 = 'auditql-leaf/2';

type ColumnKind = 'plain' | 'timestamptz' | 'float8' | 'change-key' | 'change-extra';

/** A table whose rows are leaves of the log: its code in auditql.ledger_leaves.kind and its columns. */
export interface LeafTable {
  readonly kind: number;
  readonly table: string;
  /** The encoding version its rows' canonical bytes start with. */
  readonly encoding: string;
  /** Whose sequence its `seq` is: the feed's (feed_seq), or the access records' own (api_access_seq_seq). */
  readonly space: 'feed' | 'access';
  /** Partitioned by part_at: retention drops whole partitions of it (retention.ts). */
  readonly partitioned: boolean;
  readonly columns: readonly (readonly [string, ColumnKind])[];
}

const MARKS: Readonly<Record<string, ColumnKind>> = { '@': 'timestamptz', '%': 'float8', '~': 'change-key', '^': 'change-extra' };
const cols = (spec: string): LeafTable['columns'] =>
  spec.trim().split(/\s+/).map((c) => {
    const kind = MARKS[c.slice(-1)];
    return kind ? [c.slice(0, -1), kind] as const : [c, 'plain'] as const;
  });

const v1 = { encoding: LEAF_ENCODING, space: 'feed' } as const;

/**
 * Every table whose rows share the feed sequence `seq` (migrations/001_warehouse.sql), encoding version 1.
 * `@` marks timestamptz; `~` the change's key, as stored or derived where the sink left it NULL
 * (stored-key.ts); `^` the change's extra with its shared block merged back (source-blocks.ts). Both are
 * the same jsonb the row held before those columns were split, so the bytes are those of version 1.
 */
export const LEAF_TABLES: readonly LeafTable[] = [
  {
    ...v1, kind: 1, table: 'changes', partitioned: true,
    columns: cols(`seq source position part_at@ format operation database_name schema_name table_name key~ key_text key_source
      before after before_complete unknown_before unknown_after changed_fields tx_id tx_order committed_at@
      committed_at_source server connection source_user extra^ ingested_at@`),
  },
  {
    ...v1, kind: 2, table: 'activity', partitioned: true,
    columns: cols(`seq source position part_at@ format class raw_class command command_text object_type object_name
      database_name db_user remote_host remote_port client_application session_id pid statement_id substatement_id
      row_count exit_code error_message tx_id started_at@ occurred_at@ server parameters extra ingested_at@`),
  },
  {
    ...v1, kind: 3, table: 'contexts', partitioned: false,
    columns: cols(`seq source position format tx_id server prefix transactional content app_user occurred_at@ ingested_at@`),
  },
  {
    ...v1, kind: 4, table: 'transaction_events', partitioned: false,
    columns: cols(`seq source position format status tx_id server occurred_at@ event_count data_collections ingested_at@`),
  },
  {
    ...v1, kind: 5, table: 'schema_changes', partitioned: false,
    columns: cols(`seq source position format change_type database_name schema_name table_name ddl server occurred_at@
      detail ingested_at@`),
  },
  {
    ...v1, kind: 6, table: 'attributions', partitioned: false,
    columns: cols(`seq change_seq evidence confidence db_user app_user remote_host client_application activity_seq
      context_seq detail created_at@ settled_with_change`),
  },
];

/**
 * The API access records (migrations/011_api_security.sql), encoding version 2, in their own seq space.
 * `%` marks double precision.
 */
export const ACCESS_LEAF_TABLE: LeafTable = {
  kind: 7, table: 'api_access', encoding: LEAF_ENCODING_V2, space: 'access', partitioned: false,
  columns: cols(`seq at@ principal role auth_kind client_address transport event operation_type operation_name document_hash
    variables rows_returned decision reason duration_ms%`),
};

/** Every table whose rows are leaves, of both seq spaces. */
export const ALL_LEAF_TABLES: readonly LeafTable[] = [...LEAF_TABLES, ACCESS_LEAF_TABLE];

export const leafTableByKind = (kind: number): LeafTable => {
  const t = ALL_LEAF_TABLES.find((x) => x.kind === kind);
  if (!t) throw new Error(`no leaf table has kind ${kind}`);
  return t;
};

const micros = (ref: string): string => `(extract(epoch from ${ref}) * 1000000)::int8`;
const float8Bits = (ref: string): string => `encode(float8send(${ref}), 'hex')`;
const value = (k: ColumnKind, alias: string, column: string): string => {
  const ref = `${alias}.${column}`;
  if (k === 'timestamptz') return micros(ref);
  if (k === 'float8') return float8Bits(ref);
  if (k === 'change-key') return storedKeySql(alias);
  return k === 'change-extra' ? changeExtraSql(alias) : ref;
};

/**
 * SQL: the canonical text of the row aliased `alias` of table `t`; `seq` replaces the row's own seq (verify
 * asks whether a row is another seq's leaf, to tell an exchange of seqs from an edit).
 */
export function canonicalTextSql(t: LeafTable, alias: string, seq?: string): string {
  const args = t.columns.map(([c, k]) => (c === 'seq' && seq ? seq : value(k, alias, c)));
  return `json_build_array('${t.encoding}', '${t.table}', ${args.join(', ')})::text`;
}

/** SQL: the RFC 9162 leaf hash, SHA-256(0x00 ‖ canonical bytes), of the row aliased `alias`. */
export function leafHashSql(t: LeafTable, alias: string, seq?: string): string {
  return `sha256('\\x00'::bytea || convert_to(${canonicalTextSql(t, alias, seq)}, 'UTF8'))`;
}
