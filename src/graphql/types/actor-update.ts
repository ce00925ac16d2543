import { Field, ObjectType } from 'type-graphql';
import { Change } from './change.js';
import { Evidence } from './actor.js';

@ObjectType({
  simpleResolvers: true,
  description:
    'A change gained attribution evidence after it was stored — activity streams lag behind change streams, so who made a change ' +
    'is often settled, or upgraded, minutes later. Evidence settled together with its change is part of the change when first delivered, ' +
    'and is not an update.',
})
export class ActorUpdate {
  @Field(() => String, {
    description: 'Opaque; works as `after` in `actorUpdated` (which also takes a `Change` or `Activity` cursor: they share one sequence).',
  })
  cursor!: string;

  @Field(() => Change, { description: 'The change, as known now: its `actor` includes this evidence and all recorded before it.' })
  change!: unknown;

  @Field(() => Evidence, { description: 'The evidence this update added.' })
  evidence!: unknown;
}
