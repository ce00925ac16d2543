/** Time travel: `entityAt` (the row as it was, pinned as JSON) and `entityAtDetail` (the row and how sure). */
import { Args, ArgsType, Ctx, Field, Query, Resolver } from 'type-graphql';
import { entityChangesBackward, latestTruncate, type EntityRef } from '../../warehouse/queries/entity-history.js';
import type { ChangeRecord } from '../../warehouse/queries/change-record.js';
import type { JsonRow } from '../../model/json.js';
import type { ApiContext } from '../context.js';
import { keyTextOf } from '../key-arg.js';
import { changeNode, type ChangeNode } from '../nodes.js';
import { rebuildAfter } from '../history/row-at.js';
import { EntityState } from '../types/entity-state.js';
import { DateTimeScalar, JSONScalar } from '../types/scalars.js';
import { viewOf } from '../policy/view-of.js';
import { scopedEntityState } from '../policy/scoped-values.js';

/** Earlier changes read per step, and at most in all, when filling columns the latest image lacks. */
const STEP = 50;
const MAX_CHANGES = 2000;

export interface EntityStateValue {
  readonly row: JsonRow | null;
  readonly existence: 'EXISTS' | 'DELETED' | 'TRUNCATED' | 'NO_HISTORY';
  readonly complete: boolean;
  readonly unknownColumns: readonly string[];
  readonly asOf: ChangeNode | null;
}

const later = (a: ChangeRecord, b: ChangeRecord) =>
  BigInt(a.partUs) > BigInt(b.partUs) || (a.partUs === b.partUs && BigInt(a.seq) > BigInt(b.seq));

export async function entityStateAt(ctx: ApiContext, e: Omit<EntityRef, 'exactScope'>, at: Date): Promise<EntityStateValue> {
  const db = ctx.warehouse.db;
  const [latest] = await entityChangesBackward(db, e, { atOrBefore: at }, 1);
  if (!latest) return { row: null, existence: 'NO_HISTORY', complete: false, unknownColumns: [], asOf: null };
  const truncate = await latestTruncate(db, { table: latest.table, database: latest.database, schema: latest.schema }, at);
  if (truncate && later(truncate, latest)) {
    return { row: null, existence: 'TRUNCATED', complete: true, unknownColumns: [], asOf: changeNode(truncate) };
  }
  if (latest.operation === 'DELETE') return { row: null, existence: 'DELETED', complete: true, unknownColumns: [], asOf: changeNode(latest) };
  const exact: EntityRef = { table: latest.table, keyText: latest.keyText, database: latest.database, schema: latest.schema, exactScope: true };
  const rebuilt = await rebuildAfter(latest, (older) => entityChangesBackward(db, exact, { olderThan: older }, STEP), MAX_CHANGES);
  return { ...rebuilt, existence: 'EXISTS', asOf: changeNode(latest) };
}

/** The arguments both queries take, declared once so they stay the same: a row (table, key, optionally database and schema) and a time. */
@ArgsType()
class EntityAtArgs {
  @Field(() => String)
  table!: string;

  @Field(() => JSONScalar)
  key!: unknown;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => String, { nullable: true })
  database?: string | null;

  @Field(() => String, { nullable: true })
  schema?: string | null;
}

/** The state as the caller's role sees it: out of scope is no history; columns masked. */
const stateOf = async (ctx: ApiContext, { table, key, at, database, schema }: EntityAtArgs) =>
  scopedEntityState(viewOf(ctx), await entityStateAt(ctx, { table, keyText: keyTextOf(key), database, schema }, at));

@Resolver()
export class EntityAtQueries {
  @Query(() => JSONScalar, {
    nullable: true,
    description:
      'The row as it was at a time, rebuilt from its history; null when it did not exist (deleted, truncated, or no history). Columns no change image tells are left out: `entityAtDetail` says whether the row is complete.',
  })
  async entityAt(@Args(() => EntityAtArgs) args: EntityAtArgs, @Ctx() ctx: ApiContext): Promise<JsonRow | null> {
    return (await stateOf(ctx, args)).row;
  }

  @Query(() => EntityState, { description: '`entityAt` with how sure the answer is: whether the row existed, whether every column is known, and the change it rests on.' })
  entityAtDetail(@Args(() => EntityAtArgs) args: EntityAtArgs, @Ctx() ctx: ApiContext): Promise<EntityStateValue> {
    return stateOf(ctx, args);
  }
}
