/** Field resolvers of `Activity`: `transaction`, `ocsf`, `ecs`. */
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { ApiContext } from '../context.js';
import { callerSees } from '../policy/caller-sees.js';
import { transactionNode, type ActivityNode, type TransactionNode } from '../nodes.js';
import { Activity } from '../types/activity.js';
import { Transaction } from '../types/transaction.js';
import { JSONScalar } from '../types/scalars.js';
import { toEcs, toOcsf } from '../../siem/siem-format.js';

@Resolver(() => Activity)
export class ActivityFields {
  @FieldResolver(() => Transaction, { nullable: true, description: 'The transaction it ran in, when the source said.' })
  transaction(@Root() a: ActivityNode): TransactionNode | null {
    return transactionNode(a.txId, a.server);
  }

  @FieldResolver(() => JSONScalar, {
    description:
      'This event in OCSF (docs/siem.md "OCSF"): logins, failed logins and logoffs as Authentication (3002), every other statement as Datastore Activity (6005); `metadata.uid` = `cursor`. Built from the event as this caller sees it.',
  })
  ocsf(@Root() a: ActivityNode, @Ctx() ctx: ApiContext): unknown {
    return toOcsf(callerSees({ kind: 'activity', node: a }, ctx));
  }

  @FieldResolver(() => JSONScalar, { description: 'This event as an ECS document (docs/siem.md "ECS"), `event.id` = `cursor`.' })
  ecs(@Root() a: ActivityNode, @Ctx() ctx: ApiContext): unknown {
    return toEcs(callerSees({ kind: 'activity', node: a }, ctx));
  }
}
