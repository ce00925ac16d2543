import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { JSONScalar } from './scalars.js';
import { Change } from './change.js';

export const EntityExistence = { EXISTS: 'EXISTS', DELETED: 'DELETED', TRUNCATED: 'TRUNCATED', NO_HISTORY: 'NO_HISTORY' } as const;
registerEnumType(EntityExistence, {
  name: 'EntityExistence',
  valuesConfig: {
    EXISTS: { description: 'The row existed at that time.' },
    DELETED: { description: 'The last change at or before that time deleted it.' },
    TRUNCATED: { description: 'The table was truncated after its last change and at or before that time.' },
    NO_HISTORY: { description: 'The warehouse holds no change of it at or before that time.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'An entity as it was at a time, and how sure that answer is.' })
export class EntityState {
  @Field(() => JSONScalar, { nullable: true, description: 'The row; columns no image knows are left out (see `unknownColumns`).' })
  row!: unknown;

  @Field(() => EntityExistence)
  existence!: string;

  @Field(() => Boolean, { description: 'True when every column of the row is known exactly.' })
  complete!: boolean;

  @Field(() => [String], { description: 'Columns the row had whose value no change image tells (e.g. unchanged TOAST never sent).' })
  unknownColumns!: string[];

  @Field(() => Change, { nullable: true, description: 'The change the answer rests on (the last one at or before that time).' })
  asOf!: Change | null;
}
