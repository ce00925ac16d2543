import { Field, ObjectType } from 'type-graphql';
import { SafeIntScalar } from './scalars.js';

@ObjectType({
  simpleResolvers: true,
  description:
    'How well a set of changes is attributed. A change is attributed when some evidence names a database user or an application user; `exact + probable + unattributed = total`, and `conflicting` overlaps them.',
})
export class AttributionCoverage {
  @Field(() => SafeIntScalar, { description: 'Changes in the range.' })
  total!: number;

  @Field(() => SafeIntScalar, { description: 'Attributed by EXACT evidence (application context, same transaction, or the source itself).' })
  exact!: number;

  @Field(() => SafeIntScalar, { description: 'Attributed only by PROBABLE evidence (same connection within the session window).' })
  probable!: number;

  @Field(() => SafeIntScalar, { description: 'No evidence names anyone: who made these is not known (see `unattributedChanges`).' })
  unattributed!: number;

  @Field(() => SafeIntScalar, { description: 'Evidence names more than one database user or more than one application user (`Actor.conflict`).' })
  conflicting!: number;

  @Field(() => SafeIntScalar, { description: 'Some evidence names the database user.' })
  withDbUser!: number;

  @Field(() => SafeIntScalar, { description: 'Some evidence names the application user.' })
  withAppUser!: number;
}
