/**
 * Per-request DataLoaders (docs/graphql.md "Batching"): field resolvers on a page of N changes or
 * activity events ask for one item each; each loader turns those into one warehouse statement per page.
 * Created per request (src/graphql/context.ts), so nothing is cached across requests.
 */
import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Warehouse } from '../warehouse/tables.js';
import { attributionsForChanges, type AttributionRecord } from '../warehouse/queries/attributions.js';
import { transactionSummaries, type TransactionSummary } from '../warehouse/queries/transaction-summary.js';
import { transactionActivity, transactionChanges, type MemberPage } from '../warehouse/queries/transaction-members.js';
import { precedingChanges, type HistoryTarget } from '../warehouse/queries/entity-history.js';
import type { ChangeRecord } from '../warehouse/queries/change-record.js';
import type { ActivityRecord } from '../warehouse/queries/activity-record.js';
import type { TxKey } from '../warehouse/queries/transaction-key.js';
import { daysOf, locateTxs, type LocatedDay, type TxLocate } from '../warehouse/queries/tx-days.js';
import { schemaVersions, type SchemaVersionKey } from '../warehouse/queries/schema-version.js';
import type { SchemaChangeRecord } from '../warehouse/queries/schema-change-page.js';
import { actorOf, type ActorNode } from './actor.js';

/** How many earlier changes history stitching reads per change (docs/graphql.md "Field changes"). */
export const STITCH_DEPTH = 16;

const txKeyText = (k: TxKey) => JSON.stringify([k.txId, k.server]);

interface MemberKey extends TxKey, MemberPage {}
const memberKeyText = (k: MemberKey) => JSON.stringify([k.txId, k.server, k.limit, k.afterSeq]);

/** Group keys by page shape, run one statement per shape, put results back in key order. */
async function byPage<R>(keys: readonly MemberKey[], run: (txs: TxKey[], page: MemberPage) => Promise<R[][]>): Promise<R[][]> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = JSON.stringify([k.limit, k.afterSeq]);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  const out: R[][] = new Array<R[]>(keys.length);
  await Promise.all(
    [...groups.values()].map(async (idx) => {
      const first = keys[idx[0]!]!;
      const rows = await run(idx.map((i) => keys[i]!), { limit: first.limit, afterSeq: first.afterSeq });
      idx.forEach((i, j) => (out[i] = rows[j]!));
    }),
  );
  return out;
}

export interface Loaders {
  /** Change seq → its actor (null when no evidence). */
  readonly actor: DataLoader<string, ActorNode | null>;
  readonly transactionSummary: DataLoader<TxKey, TransactionSummary, string>;
  readonly transactionChanges: DataLoader<MemberKey, ChangeRecord[], string>;
  readonly transactionActivity: DataLoader<MemberKey, ActivityRecord[], string>;
  /** A change → the entity's earlier changes, newest first (history stitching). */
  readonly preceding: DataLoader<HistoryTarget, ChangeRecord[], string>;
  /** A change's table and binlog position → the latest DDL of that table at or before it (schema version). */
  readonly schemaVersion: DataLoader<SchemaVersionKey, SchemaChangeRecord | null, string>;
}

/** A batch function that reports its batch size first. */
function observed<K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>, onBatch?: (loader: string, keys: number) => void): DataLoader.BatchLoadFn<K, V> {
  if (!onBatch) return batch;
  return (keys) => {
    onBatch(name, keys.length);
    return batch(keys);
  };
}

export function createLoaders(db: Kysely<Warehouse>, onBatch?: (loader: string, keys: number) => void): Loaders {
  const o = <K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>) => observed(name, batch, onBatch);
  // Where the page's transactions are (the transaction locator, docs/warehouse.md "Reading one
  // transaction"): one probe shared by the summary, changes and activity statements of one tick.
  const txDays = new DataLoader<TxKey, readonly LocatedDay[] | null, string>(
    o('txDays', async (keys: readonly TxKey[]) => (await locateTxs(db, keys)) ?? keys.map(() => null)), { cacheKeyFn: txKeyText });
  const locate: TxLocate = async (keys) => daysOf((await txDays.loadMany(keys)).map((d) => {
    if (d instanceof Error) throw d;
    return d;
  }));
  return {
    actor: new DataLoader(o('actor', async (seqs: readonly string[]) => {
      const rows = await attributionsForChanges(db, seqs);
      const bySeq = new Map<string, AttributionRecord[]>();
      for (const r of rows) {
        const list = bySeq.get(r.changeSeq);
        if (list) list.push(r);
        else bySeq.set(r.changeSeq, [r]);
      }
      return seqs.map((s) => actorOf(bySeq.get(s) ?? []));
    })),
    transactionSummary: new DataLoader(o('transactionSummary', (keys: readonly TxKey[]) => transactionSummaries(db, keys, locate)), { cacheKeyFn: txKeyText }),
    transactionChanges: new DataLoader(o('transactionChanges', (keys: readonly MemberKey[]) => byPage(keys, (txs, page) => transactionChanges(db, txs, page, locate))), {
      cacheKeyFn: memberKeyText,
    }),
    transactionActivity: new DataLoader(o('transactionActivity', (keys: readonly MemberKey[]) => byPage(keys, (txs, page) => transactionActivity(db, txs, page, locate))), {
      cacheKeyFn: memberKeyText,
    }),
    preceding: new DataLoader(o('preceding', (targets: readonly HistoryTarget[]) => precedingChanges(db, targets, STITCH_DEPTH)), { cacheKeyFn: (t) => t.seq }),
    schemaVersion: new DataLoader(o('schemaVersion', (keys: readonly SchemaVersionKey[]) => schemaVersions(db, keys)), {
      cacheKeyFn: (k) => JSON.stringify([k.source, k.database, k.table, k.file, k.pos]),
    }),
  };
}
