/**
 * A transaction is identified by its source transaction id and the server it ran on (two servers may
 * reuse an id). A null server matches a null server.
 */
import { sql, type RawBuilder } from 'kysely';
import type { TxDays } from './tx-days.js';

export interface TxKey {
  readonly txId: string;
  readonly server: string | null;
}

/** `alias.server` equals the key's server, null matching null (index-friendly, unlike IS NOT DISTINCT FROM). */
export const sameServer = (alias: string, keyAlias: string): RawBuilder<boolean> =>
  sql<boolean>`(${sql.ref(`${alias}.server`)} = ${sql.ref(`${keyAlias}.server`)} or (${sql.ref(`${alias}.server`)} is null and ${sql.ref(`${keyAlias}.server`)} is null))`;

/** `unnest(…) with ordinality as k(tx_id, server, i)`: the keys as a relation, `i` = 1-based position. */
export const txKeys = (keys: readonly TxKey[]): RawBuilder<unknown> =>
  sql`unnest(${keys.map((k) => k.txId)}::text[], ${keys.map((k) => k.server)}::text[]) with ordinality as k(tx_id, server, i)`;

/**
 * Feed sequences of the activity attribution linked to a transaction's changes (over key alias `k`, its
 * changes on `days`): activity streams may name the server differently, or carry no transaction id at all.
 */
export const txLinkedActivitySeqs = (k: string, days: TxDays): RawBuilder<unknown> =>
  sql`(select at.activity_seq from auditql.changes c2 join auditql.attributions at on at.change_seq = c2.seq
      where c2.tx_id = ${sql.ref(`${k}.tx_id`)} and ${sameServer('c2', k)} and ${days.changes('c2')} and at.activity_seq is not null)`;

/**
 * The activity of a transaction over key alias `k`, as feed sequences: activity with its id on the same
 * server, plus activity attribution linked to one of its changes (rows on `days`).
 */
export const txActivitySeqs = (k: string, days: TxDays): RawBuilder<unknown> =>
  sql`(select a2.seq from auditql.activity a2 where a2.tx_id = ${sql.ref(`${k}.tx_id`)} and ${sameServer('a2', k)} and ${days.activity('a2')}
      union
      ${txLinkedActivitySeqs(k, days)})`;
