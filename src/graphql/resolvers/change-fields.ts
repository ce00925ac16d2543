/** Field resolvers of `Change` that need more than the row: `actor`, `transaction`, `fieldChanges`, `schemaChange`, `ocsf`, `ecs`. */
import { Arg, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { ApiContext } from '../context.js';
import { schemaChangeNode, transactionNode, type ChangeNode, type SchemaChangeNode, type TransactionNode } from '../nodes.js';
import { SchemaChange } from '../types/schema-change.js';
import { binlogPosition } from '../../warehouse/queries/schema-version.js';
import type { ActorNode } from '../actor.js';
import { fieldChanges, unknownOldFields, type FieldChangeValue } from '../history/field-changes.js';
import { Change, FieldChange } from '../types/change.js';
import { Actor } from '../types/actor.js';
import { Transaction } from '../types/transaction.js';
import { JSONScalar } from '../types/scalars.js';
import { toEcs, toOcsf } from '../../siem/siem-format.js';
import type { ChangeInput } from '../../siem/siem-input.js';
import { callerSees } from '../policy/caller-sees.js';

@Resolver(() => Change)
export class ChangeFields {
  @FieldResolver(() => Actor, {
    nullable: true,
    description: 'Who made the change, from attribution evidence; null when there is none (never guessed).',
  })
  actor(@Root() c: ChangeNode, @Ctx() ctx: ApiContext): Promise<ActorNode | null> {
    return ctx.loaders.actor.load(c.seq);
  }

  @FieldResolver(() => Transaction, { nullable: true, description: 'The source transaction it was part of, when the source said.' })
  transaction(@Root() c: ChangeNode): TransactionNode | null {
    return transactionNode(c.txId, c.server);
  }

  @FieldResolver(() => [FieldChange], {
    description:
      'Each changed field, old → new. An old value the source did not give is filled from the entity\'s earlier changes when they tell it (`oldValueFrom: HISTORY`), else marked unknown (`oldValueKnown: false`).',
  })
  async fieldChanges(
    @Root() c: ChangeNode,
    @Arg('fromHistory', () => Boolean, { defaultValue: true, description: 'Fill unknown old values from earlier changes (history stitching).' }) fromHistory: boolean,
    @Ctx() ctx: ApiContext,
  ): Promise<FieldChangeValue[]> {
    if (!fromHistory || unknownOldFields(c).length === 0) return fieldChanges(c, null);
    return fieldChanges(c, await ctx.loaders.preceding.load(c));
  }

  @FieldResolver(() => SchemaChange, {
    nullable: true,
    description:
      'The schema version the change was written under: the latest DDL of its table, in the same source, at or before the change\'s position (docs/graphql.md "Schema versions"). Where the source says: a binlog position on both (Maxwell, Debezium MySQL); null otherwise, or when no DDL of the table was ingested before it.',
  })
  async schemaChange(@Root() c: ChangeNode, @Ctx() ctx: ApiContext): Promise<SchemaChangeNode | null> {
    const at = binlogPosition(c.extra);
    if (!at || c.table === null) return null;
    const r = await ctx.loaders.schemaVersion.load({ source: c.source, database: c.database, table: c.table, ...at });
    return r ? schemaChangeNode(r) : null;
  }

  @FieldResolver(() => JSONScalar, {
    description: 'This change as an OCSF Datastore Activity event (class_uid 6005; docs/siem.md "OCSF"), `metadata.uid` = `cursor`. Built from the change as this caller sees it.',
  })
  async ocsf(@Root() c: ChangeNode, @Ctx() ctx: ApiContext): Promise<unknown> {
    return toOcsf(callerSees(await this.siemInput(c, ctx), ctx));
  }

  @FieldResolver(() => JSONScalar, { description: 'This change as an ECS document (docs/siem.md "ECS"), `event.id` = `cursor`.' })
  async ecs(@Root() c: ChangeNode, @Ctx() ctx: ApiContext): Promise<unknown> {
    return toEcs(callerSees(await this.siemInput(c, ctx), ctx));
  }

  /** The node, its actor and its field changes, through the same loaders the other fields use. */
  private async siemInput(c: ChangeNode, ctx: ApiContext): Promise<ChangeInput> {
    const [actor, changes] = await Promise.all([this.actor(c, ctx), this.fieldChanges(c, true, ctx)]);
    return { kind: 'change', node: c, actor, fieldChanges: changes };
  }
}
