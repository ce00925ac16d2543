/**
 * The auditql pgoutput record (docs/formats/pgoutput.md): what the built-in PostgreSQL source
 * (src/sources/postgres/) writes for each logical replication protocol message it receives, one
 * self-contained JSON document per transaction boundary, row change or logical decoding message.
 *
 * The protocol messages it mirrors are PostgreSQL's "Logical Replication Message Formats"
 * (https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html):
 * - Begin (`B`): final LSN of the transaction (= the LSN of its commit record), commit timestamp, xid;
 * - Relation (`R`): relation oid, namespace, name, replica identity setting, columns (flags bit 1 = part of
 *   the replica identity, type oid, type modifier);
 * - Insert / Update / Delete (`I`/`U`/`D`): TupleData for the new row and, for updates and deletes, the old
 *   one, marked `K` (replica identity columns only) or `O` (the whole old row: REPLICA IDENTITY FULL);
 *   each TupleData column is `n` (null), `u` (unchanged TOASTed value, not sent) or `t` (text);
 * - Truncate (`T`), Message (`M`, with `messages 'true'`), Commit (`C`): commit LSN, end LSN, timestamp.
 * Values stay exactly as PostgreSQL's output functions printed them (the source asks for DateStyle=ISO,
 * TimeZone=UTC, IntervalStyle=iso_8601, bytea_output=hex); turning them into JSON is the decoder's job.
 */
import { isPlainObject } from '../../model/json.js';
import { undecodable } from '../../errors.js';

export const PGOUTPUT_RECORD_VERSION = 1;

/** Which database the record came from: the cluster's system identifier and the database name. */
export interface PgSource {
  readonly systemId: string;
  readonly database: string;
}

export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface PgColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly typeMod: number;
  /** `format_type()` from the source catalog when the source could read it, else null. */
  readonly typeName: string | null;
  /** Part of the replica identity (Relation message column flag 1). With FULL, every column is. */
  readonly isKey: boolean;
}

export interface PgRelation {
  readonly oid: number;
  readonly schema: string;
  readonly table: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly PgColumn[];
  /** The table's primary-key columns in key order, from the source catalog; null when none or unknown. */
  readonly primaryKey: readonly string[] | null;
}

/** A row as PostgreSQL printed it: column → text, or null for SQL NULL. */
export type PgTuple = { readonly [column: string]: string | null };

/** The transaction a record belongs to, known from its Begin message. */
export interface PgTx {
  /** The 32-bit transaction id as a decimal string. */
  readonly xid: string;
  /** The LSN of the commit record (Begin's final LSN). */
  readonly commitLsn: string;
  /** Commit timestamp, ISO-8601 UTC with microseconds. */
  readonly commitTime: string;
  /** This record's place in its transaction: 0 = begin, then 1, 2, … in stream order. */
  readonly seq: number;
}

interface Base {
  readonly v: typeof PGOUTPUT_RECORD_VERSION;
  readonly source: PgSource;
  /** The WAL position the server gave the message (XLogData start). */
  readonly lsn: string;
}

export interface BeginRecord extends Base, PgTx {
  readonly kind: 'begin';
}

export interface CommitRecord extends Base, PgTx {
  readonly kind: 'commit';
  /** The LSN just past the commit record: where a restart resumes. */
  readonly endLsn: string;
  /** Row changes in the transaction (truncate: one per table). */
  readonly changes: number;
  readonly dataCollections: readonly { readonly dataCollection: string; readonly eventCount: number }[];
}

export type ChangeOp = 'insert' | 'update' | 'delete' | 'truncate';
/** What the old tuple holds: nothing, the replica identity columns (`K`), or the whole old row (`O`). */
export type OldKind = 'none' | 'key' | 'full';

export interface ChangeRecord extends Base, PgTx {
  readonly kind: 'change';
  readonly op: ChangeOp;
  readonly relation: PgRelation;
  readonly oldKind: OldKind;
  readonly old: PgTuple | null;
  readonly new: PgTuple | null;
  /** Columns pgoutput sent as unchanged TOAST (`u`): absent from the tuple, value unknown. */
  readonly oldUnchanged: readonly string[];
  readonly newUnchanged: readonly string[];
  /** Truncate only. */
  readonly truncate?: { readonly cascade: boolean; readonly restartIdentity: boolean };
}

export interface MessageRecord extends Base {
  readonly kind: 'message';
  readonly transactional: boolean;
  /** Null for a non-transactional message. */
  readonly xid: string | null;
  readonly commitLsn: string | null;
  readonly commitTime: string | null;
  readonly seq: number | null;
  readonly prefix: string;
  /** The content as text when it is valid UTF-8 … */
  readonly content?: string;
  /** … else its bytes in base64. */
  readonly contentBase64?: string;
}

export type PgoutputRecord = BeginRecord | CommitRecord | ChangeRecord | MessageRecord;

const KINDS = new Set(['begin', 'commit', 'change', 'message']);

/** Cheap shape test for `--format auto`. */
export function looksLikePgoutputRecord(value: unknown): boolean {
  return isPlainObject(value) && value['v'] === PGOUTPUT_RECORD_VERSION && KINDS.has(value['kind'] as string) &&
    isPlainObject(value['source']) && typeof value['source']['systemId'] === 'string';
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function need(ok: boolean, what: string): void {
  if (!ok) throw undecodable(`pgoutput record: ${what}`);
}

function checkTuple(t: unknown, field: string): void {
  if (t === null) return;
  need(isPlainObject(t), `${field} is not an object`);
  for (const v of Object.values(t as object)) need(v === null || isString(v), `${field} holds a value that is not text or null`);
}

function checkTx(r: Record<string, unknown>): void {
  need(isString(r['xid']) && /^\d+$/.test(r['xid']), 'xid is not a decimal string');
  need(isString(r['commitLsn']), 'commitLsn is missing');
  need(isString(r['commitTime']), 'commitTime is missing');
  need(Number.isInteger(r['seq']), 'seq is not an integer');
}

function checkRelation(rel: unknown): void {
  need(isPlainObject(rel), 'relation is missing');
  const r = rel as Record<string, unknown>;
  need(isString(r['schema']) && isString(r['table']), 'relation has no schema/table');
  need(['default', 'nothing', 'full', 'index'].includes(r['replicaIdentity'] as string), 'relation.replicaIdentity is not default|nothing|full|index');
  need(Array.isArray(r['columns']), 'relation.columns is not an array');
  for (const c of r['columns'] as unknown[]) {
    need(isPlainObject(c) && isString(c['name']) && Number.isInteger(c['typeOid']) && typeof c['isKey'] === 'boolean', 'relation column needs name, typeOid, isKey');
  }
  need(r['primaryKey'] === null || r['primaryKey'] === undefined || isStringArray(r['primaryKey']), 'relation.primaryKey is not a list of names');
}

/** Parse and check a record's bytes; errors name the field, never a value. */
export function readPgoutputRecord(bytes: Buffer): PgoutputRecord {
  const value: unknown = JSON.parse(bytes.toString('utf8'));
  need(isPlainObject(value), 'not a JSON object');
  const r = value as Record<string, unknown>;
  need(r['v'] === PGOUTPUT_RECORD_VERSION, `unsupported version (expected v: ${PGOUTPUT_RECORD_VERSION})`);
  need(isPlainObject(r['source']) && isString(r['source']['systemId']) && isString(r['source']['database']), 'source.systemId/database missing');
  switch (r['kind']) {
    case 'begin':
      checkTx(r);
      break;
    case 'commit':
      checkTx(r);
      need(isString(r['endLsn']), 'endLsn is missing');
      need(Number.isInteger(r['changes']), 'changes is not an integer');
      need(Array.isArray(r['dataCollections']), 'dataCollections is not an array');
      break;
    case 'change':
      checkTx(r);
      need(['insert', 'update', 'delete', 'truncate'].includes(r['op'] as string), 'op is not insert|update|delete|truncate');
      need(['none', 'key', 'full'].includes(r['oldKind'] as string), 'oldKind is not none|key|full');
      checkRelation(r['relation']);
      checkTuple(r['old'] ?? null, 'old');
      checkTuple(r['new'] ?? null, 'new');
      need(isStringArray(r['oldUnchanged'] ?? []) && isStringArray(r['newUnchanged'] ?? []), 'oldUnchanged/newUnchanged are not lists of names');
      break;
    case 'message':
      need(typeof r['transactional'] === 'boolean', 'transactional is not a boolean');
      need(isString(r['prefix']), 'prefix is missing');
      need(isString(r['content']) || isString(r['contentBase64']), 'content/contentBase64 is missing');
      if (r['transactional']) checkTx(r);
      break;
    default:
      need(false, 'kind is not begin|commit|change|message');
  }
  return value as unknown as PgoutputRecord;
}
