/** Field resolvers of `Activity`: `transaction`. */
import { FieldResolver, Resolver, Root } from 'type-graphql';
import { transactionNode, type ActivityNode, type TransactionNode } from '../nodes.js';
import { Activity } from '../types/activity.js';
import { Transaction } from '../types/transaction.js';

@Resolver(() => Activity)
export class ActivityFields {
  @FieldResolver(() => Transaction, { nullable: true, description: 'The transaction it ran in, when the source said.' })
  transaction(@Root() a: ActivityNode): TransactionNode | null {
    return transactionNode(a.txId, a.server);
  }
}
