/**
 * What the preloaded GraphiQL examples need from the warehouse to return data on any warehouse, the demo's
 * included: a transaction that exists, and how far back the history reaches (src/graphql/examples.ts).
 * Two index probes; errors are the caller's to ignore (the examples then use their defaults).
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

export interface ExampleHints {
  /** The transaction of the newest change that has one. */
  readonly transactionId: string | null;
  /** The oldest change's commit time. */
  readonly earliest: Date | null;
}

export async function exampleHints(db: Kysely<Warehouse>): Promise<ExampleHints> {
  const r = await sql<{ tx_id: string | null; earliest: Date | null }>`select
      (select c.tx_id from auditql.changes c where c.tx_id is not null order by c.seq desc limit 1) as tx_id,
      (select min(c.committed_at) from auditql.changes c) as earliest`.execute(db);
  const row = r.rows[0];
  return { transactionId: row?.tx_id ?? null, earliest: row?.earliest ?? null };
}
