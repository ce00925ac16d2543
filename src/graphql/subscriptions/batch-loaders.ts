/**
 * DataLoaders shared by everyone who receives one feed batch (docs/subscriptions.md "Field resolvers").
 * graphql-ws executes a subscription's events one at a time, so per-operation loaders would batch
 * nothing and, over a subscription open for days, cache without end. Instead each batch the feed reads
 * gets fresh loaders (src/graphql/loaders.ts), primed on first use with every row of the batch: the first
 * subscriber asking any change of the batch for its `actor` loads the actors of the whole batch in one
 * statement, and the other subscribers of that batch hit the cache. They are garbage once the batch has
 * been delivered.
 */
import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Warehouse } from '../../warehouse/tables.js';
import { createLoaders, type Loaders } from '../loaders.js';
import { transactionNode, type ActivityNode, type ChangeNode, type TransactionNode } from '../nodes.js';
import { unknownOldFields } from '../history/field-changes.js';

/** Make the loader's first `load` also load `keys()` (in the same tick, so in the same batch). */
function primeOnFirstUse<K, V, C>(loader: DataLoader<K, V, C>, keys: () => readonly K[]): void {
  const load = loader.load.bind(loader);
  let primed = false;
  loader.load = (key: K): Promise<V> => {
    if (!primed) {
      primed = true;
      for (const k of keys()) load(k).catch(() => {}); // their own callers see any error
    }
    return load(key);
  };
}

function transactionsOf(rows: readonly { readonly txId: string | null; readonly server: string | null }[]): TransactionNode[] {
  const seen = new Map<string, TransactionNode>();
  for (const r of rows) {
    const t = transactionNode(r.txId, r.server);
    if (t) seen.set(JSON.stringify([t.txId, t.server]), t);
  }
  return [...seen.values()];
}

export function changeBatchLoaders(db: Kysely<Warehouse>, changes: readonly ChangeNode[]): Loaders {
  const l = createLoaders(db);
  primeOnFirstUse(l.actor, () => changes.map((c) => c.seq));
  primeOnFirstUse(l.preceding, () => changes.filter((c) => unknownOldFields(c).length > 0));
  primeOnFirstUse(l.transactionSummary, () => transactionsOf(changes));
  return l;
}

export function activityBatchLoaders(db: Kysely<Warehouse>, activity: readonly ActivityNode[]): Loaders {
  const l = createLoaders(db);
  primeOnFirstUse(l.transactionSummary, () => transactionsOf(activity));
  return l;
}
