/**
 * `Subscription.checkpointAdded(after: Int)`: every signed checkpoint as it is sealed, so a SIEM can pin
 * roots outside the warehouse. With `after` (a tree size), first the checkpoints sealed since, then live:
 * it LISTENs before it reads, and each notification reads everything above the last size sent, so
 * nothing is missed or sent twice. One connection per subscriber (checkpoints are rare, subscribers few).
 */
import pg from 'pg';
import { Arg, Int, Resolver, Root, Subscription } from 'type-graphql';
import { CHECKPOINT_CHANNEL } from '../../warehouse/ledger/sealer.js';
import { checkpointsSince, latestCheckpoint, type StoredCheckpoint } from '../../warehouse/ledger/proofs.js';
import type { ApiContext } from '../context.js';
import { LedgerCheckpoint } from '../types/ledger.js';
import { checkpointNode } from './ledger-nodes.js';

/**
 * An iterator, not a generator, so `return()` (the client unsubscribed) ends the LISTEN connection at once,
 * even while the loop waits for a notification.
 */
function checkpoints(ctx: ApiContext, after: number | null): AsyncIterableIterator<StoredCheckpoint> {
  const listener = new pg.Client({ connectionString: ctx.warehouse.url, application_name: 'auditql-checkpoints' });
  let wake: (() => void) | null = null;
  let notified = false;
  let done = false;
  const poke = () => { notified = true; wake?.(); };
  listener.on('notification', poke);
  listener.on('error', () => { done = true; poke(); });
  const ready = listener.connect().then(async () => {
    await listener.query(`LISTEN ${CHECKPOINT_CHANNEL}`);
    return after ?? (await latestCheckpoint(ctx.warehouse.pool))?.treeSize ?? 0;
  });
  let last: number | null = null;
  let queue: StoredCheckpoint[] = [];
  const finish = async (): Promise<IteratorResult<StoredCheckpoint>> => {
    done = true;
    wake?.();
    await listener.end().catch(() => {});
    return { done: true, value: undefined };
  };
  const it: AsyncIterableIterator<StoredCheckpoint> = {
    [Symbol.asyncIterator]: () => it,
    async next() {
      last ??= await ready;
      while (!done && queue.length === 0) {
        notified = false;
        queue = await checkpointsSince(ctx.warehouse.pool, last);
        if (queue.length === 0 && !notified && !done) await new Promise<void>((resolve) => { wake = resolve; });
        wake = null;
      }
      if (done) return finish();
      const c = queue.shift()!;
      last = c.treeSize;
      return { done: false, value: c };
    },
    return: finish,
  };
  return it;
}

@Resolver()
export class CheckpointSubscription {
  @Subscription(() => LedgerCheckpoint, {
    description: 'Every signed checkpoint of the ledger as it is sealed. `after`: a tree size; first the checkpoints sealed since it, then live.',
    subscribe: ({ args, context }) => checkpoints(context as ApiContext, (args as { after?: number | null }).after ?? null),
  })
  checkpointAdded(
    @Root() c: StoredCheckpoint,
    @Arg('after', () => Int, { nullable: true }) _after: number | null | undefined,
  ): LedgerCheckpoint {
    return checkpointNode(c);
  }
}
