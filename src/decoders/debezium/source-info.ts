/**
 * The `source` block (docs/formats/debezium.md "Source block") → where a change happened: database, schema (PostgreSQL only),
 * table, the origin used by attribution, and the position facts kept in `extra`.
 * - origin.server = `source.name` (the logical server name / topic prefix), for every connector;
 * - origin.connection = MySQL `source.thread` as text (absent in snapshots); PostgreSQL has none;
 * - origin.user = null: neither WAL nor binlog records a user.
 */
import type { Origin } from '../../model/events.js';
import { isPlainObject, type Json } from '../../model/json.js';
import { undecodable } from '../../errors.js';
import type { SourceBlock } from './envelope.js';
import { jsonIntOf, nonEmpty, snapshotOf, textOf } from './scalars.js';

export type Dialect = 'postgresql' | 'mysql' | 'other';

export interface SourceInfo {
  readonly block: SourceBlock;
  readonly dialect: Dialect;
  readonly database: string | null;
  readonly schema: string | null;
  readonly table: string | null;
  readonly origin: Origin;
  /** Position and provenance facts for `extra` (nulls left out); a fresh object per call. */
  readonly extra: Readonly<Record<string, Json>>;
}

/** `source.connector`, or a guess from the fields when an old or hand-made record leaves it out. */
function dialectOf(s: SourceBlock): Dialect {
  const connector = typeof s.connector === 'string' ? s.connector.toLowerCase() : '';
  if (connector === 'postgresql') return 'postgresql';
  if (connector === 'mysql' || connector === 'mariadb') return 'mysql';
  if (connector !== '') return 'other';
  if (s.lsn !== undefined || s.txId !== undefined || s.xmin !== undefined) return 'postgresql';
  if (s.file !== undefined || s.pos !== undefined || s.server_id !== undefined) return 'mysql';
  return 'other';
}

/** Sets `key` only when the value is set (nulls left out), in call order, so `extra`'s key order is fixed. */
function put(out: Record<string, Json>, key: string, value: Json | null): void {
  if (value !== null) out[key] = value;
}

export function sourceInfo(value: unknown): SourceInfo {
  if (!isPlainObject(value)) throw undecodable('Debezium record has no payload.source block');
  const s = value as SourceBlock;
  const dialect = dialectOf(s);
  // Only the fields that are set; integers normalized (string-typed numbers accepted).
  const extra: Record<string, Json> = {};
  put(extra, 'connector', nonEmpty(s.connector));
  put(extra, 'version', nonEmpty(s.version));
  put(extra, 'snapshot', snapshotOf(s.snapshot));
  put(extra, 'ts_us', jsonIntOf(s.ts_us));
  // PostgreSQL
  put(extra, 'lsn', jsonIntOf(s.lsn));
  put(extra, 'xmin', jsonIntOf(s.xmin));
  put(extra, 'sequence', nonEmpty(s.sequence));
  // MySQL
  put(extra, 'server_id', jsonIntOf(s.server_id));
  put(extra, 'gtid', nonEmpty(s.gtid));
  put(extra, 'file', nonEmpty(s.file));
  put(extra, 'pos', jsonIntOf(s.pos));
  put(extra, 'row', jsonIntOf(s.row));
  put(extra, 'query', nonEmpty(s.query));
  const thread = dialect === 'mysql' ? textOf(s.thread) : null;
  return {
    block: s,
    dialect,
    database: nonEmpty(s.db),
    // MySQL has no schemas: its `db` is the database. Other connectors (SQL Server, Oracle) do.
    schema: dialect === 'mysql' ? null : nonEmpty(s.schema),
    table: nonEmpty(s.table),
    origin: { server: nonEmpty(s.name), connection: thread, user: null },
    extra,
  };
}
