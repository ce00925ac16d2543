/**
 * `Change.proof`, `Activity.proof`, `Query.consistencyProof` and `Query.latestCheckpoint` (docs/ledger.md
 * "Proofs over GraphQL"). A proof is O(log n) index reads, asked for one row at a time: select it on the
 * rows you mean to prove, not on every row of a large page.
 */
import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { consistencyProof, inclusionProof, latestCheckpoint } from '../../warehouse/ledger/proofs.js';
import type { ApiContext } from '../context.js';
import type { ActivityNode, ChangeNode } from '../nodes.js';
import { Activity } from '../types/activity.js';
import { Change } from '../types/change.js';
import { LedgerCheckpoint, LedgerConsistencyProof, LedgerProof } from '../types/ledger.js';
import { checkpointNode, consistencyNode, proofNode } from './ledger-nodes.js';

const PROOF = 'The RFC 9162 inclusion proof of this row in the latest signed checkpoint; null until a checkpoint covers it.';

async function proofOf(seq: string, ctx: ApiContext): Promise<LedgerProof | null> {
  const p = await inclusionProof(ctx.warehouse.pool, seq);
  return p ? proofNode(p) : null;
}

@Resolver(() => Change)
export class ChangeProof {
  @FieldResolver(() => LedgerProof, { nullable: true, description: PROOF })
  proof(@Root() c: ChangeNode, @Ctx() ctx: ApiContext): Promise<LedgerProof | null> {
    return proofOf(c.seq, ctx);
  }
}

@Resolver(() => Activity)
export class ActivityProof {
  @FieldResolver(() => LedgerProof, { nullable: true, description: PROOF })
  proof(@Root() a: ActivityNode, @Ctx() ctx: ApiContext): Promise<LedgerProof | null> {
    return proofOf(a.seq, ctx);
  }
}

@Resolver()
export class LedgerQueries {
  @Query(() => LedgerConsistencyProof, { description: 'The RFC 9162 consistency proof that the ledger of size `toSize` extends the ledger of size `fromSize`.' })
  async consistencyProof(
    @Arg('fromSize', () => Int) fromSize: number,
    @Arg('toSize', () => Int) toSize: number,
    @Ctx() ctx: ApiContext,
  ): Promise<LedgerConsistencyProof> {
    try {
      return consistencyNode(await consistencyProof(ctx.warehouse.pool, fromSize, toSize));
    } catch (err) {
      if (err instanceof RangeError) throw new AuditqlError(ErrorCode.BAD_INPUT, err.message);
      throw err;
    }
  }

  @Query(() => LedgerCheckpoint, { nullable: true, description: 'The newest signed checkpoint of the ledger; null before the first one is sealed.' })
  async latestCheckpoint(@Ctx() ctx: ApiContext): Promise<LedgerCheckpoint | null> {
    const c = await latestCheckpoint(ctx.warehouse.pool);
    return c ? checkpointNode(c) : null;
  }
}
