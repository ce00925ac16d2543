/**
 * Opaque cursors (docs/cursors.md "Cursors"). A cursor is base64url of `<kind>1:<seq>:<partUs>`:
 * `c` for a change, `a` for an activity event, `x` for an access record, `u` for an actor update (its evidence row; `partUs` is its
 * change's), `s` for a schema change (`partUs`: when it occurred, the epoch if unknown); `seq` is the warehouse feed sequence (so a subscription can resume above it) and `partUs` the
 * row's partition time in microseconds (so a newest-first page resumes with an index range, not a lookup). Clients must treat cursors as opaque; anything that does not decode
 * is `AUDITQL_BAD_CURSOR`.
 */
import { AuditqlError, ErrorCode } from '../errors.js';
import type { Keyset } from '../warehouse/queries/keyset.js';

export type CursorKind = 'change' | 'activity' | 'actor update' | 'schema change' | 'access record';

const PREFIX: Record<CursorKind, string> = { change: 'c1', activity: 'a1', 'actor update': 'u1', 'schema change': 's1', 'access record': 'x1' };
const NAME: Record<CursorKind, string> = {
  change: 'a change', activity: 'an activity event', 'actor update': 'an actor update', 'schema change': 'a schema change',
  'access record': 'an access record',
};
const INT = /^-?\d{1,19}$/;
const SEQ = /^\d{1,19}$/;

function encode(kind: CursorKind, k: Keyset): string {
  return Buffer.from(`${PREFIX[kind]}:${k.seq}:${k.partUs}`, 'utf8').toString('base64url');
}

function decode(kinds: readonly CursorKind[], cursor: string): Keyset {
  const bad = () =>
    new AuditqlError(ErrorCode.BAD_CURSOR, `not the cursor of ${kinds.map((k) => NAME[k]).join(' or ')} from this API: pass a \`cursor\` or \`endCursor\` it returned`);
  if (cursor.length === 0 || cursor.length > 80 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (parts.length !== 3 || !kinds.some((k) => PREFIX[k] === parts[0])) throw bad();
  const [, seq, partUs] = parts as [string, string, string];
  if (!SEQ.test(seq) || !INT.test(partUs)) throw bad();
  if (BigInt(seq) > 9_223_372_036_854_775_807n || BigInt(partUs) > 9_223_372_036_854_775_807n || BigInt(partUs) < -9_223_372_036_854_775_808n) throw bad();
  return { seq, partUs };
}

export const encodeChangeCursor = (k: Keyset): string => encode('change', k);
export const encodeActivityCursor = (k: Keyset): string => encode('activity', k);
export const encodeActorUpdateCursor = (k: Keyset): string => encode('actor update', k);
export const encodeSchemaChangeCursor = (k: Keyset): string => encode('schema change', k);
/** An access record (`Query.apiAccess`): `x`, its seq, partUs 0 (the table is not partitioned). */
export const encodeAccessCursor = (seq: string): string => encode('access record', { seq, partUs: '0' });
export const decodeAccessCursor = (cursor: string): string => decode(['access record'], cursor).seq;
/** The change a cursor names; subscriptions resume from `seq` (rows with a greater seq follow it). */
export const decodeChangeCursor = (cursor: string): Keyset => decode(['change'], cursor);
export const decodeActivityCursor = (cursor: string): Keyset => decode(['activity'], cursor);
export const decodeSchemaChangeCursor = (cursor: string): Keyset => decode(['schema change'], cursor);
/**
 * Any feed cursor — change, activity or actor update — as a place in the one feed sequence they share:
 * `actorUpdated(after:)` resumes after whichever a client kept.
 */
export const decodeFeedCursor = (cursor: string): Keyset => decode(['actor update', 'change', 'activity'], cursor);
