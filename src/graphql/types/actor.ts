import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from './scalars.js';

export const EvidenceSource = {
  APP_CONTEXT: 'APP_CONTEXT',
  DB_CONTEXT: 'DB_CONTEXT',
  ACTIVITY_TX: 'ACTIVITY_TX',
  ACTIVITY_SESSION: 'ACTIVITY_SESSION',
  SOURCE: 'SOURCE',
} as const;
registerEnumType(EvidenceSource, {
  name: 'EvidenceSource',
  description: 'Where attribution evidence came from, strongest first.',
  valuesConfig: {
    APP_CONTEXT: { description: 'Application context sent in the same transaction.' },
    DB_CONTEXT: { description: "The source database's own context message (database user, client) in the same transaction." },
    ACTIVITY_TX: { description: 'An activity event with the same transaction id on the same server.' },
    ACTIVITY_SESSION: { description: 'An activity event from the same session within a short time window.' },
    SOURCE: { description: "The source's own user field." },
  },
});

export const Confidence = { EXACT: 'EXACT', PROBABLE: 'PROBABLE' } as const;
registerEnumType(Confidence, { name: 'Confidence' });

@ObjectType({ simpleResolvers: true, description: 'One piece of evidence of who made a change.' })
export class Evidence {
  @Field(() => ID)
  id!: string;

  @Field(() => EvidenceSource)
  source!: string;

  @Field(() => Confidence)
  confidence!: string;

  @Field(() => String, { nullable: true })
  dbUser!: string | null;

  @Field(() => String, { nullable: true })
  appUser!: string | null;

  @Field(() => String, { nullable: true })
  remoteHost!: string | null;

  @Field(() => String, { nullable: true })
  clientApplication!: string | null;

  @Field(() => ID, { nullable: true, description: 'The activity event it rests on (`Activity.id`).' })
  activityId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The application-context message it rests on.' })
  contextId!: string | null;

  @Field(() => JSONScalar)
  detail!: unknown;

  @Field(() => DateTimeScalar, { description: 'When the warehouse recorded this evidence.' })
  recordedAt!: Date;
}

@ObjectType({
  simpleResolvers: true,
  description: 'Who made a change. Each field comes from the best evidence that has it; `evidence` lists all of it, best first.',
})
export class Actor {
  @Field(() => String, { nullable: true })
  dbUser!: string | null;

  @Field(() => String, { nullable: true })
  appUser!: string | null;

  @Field(() => String, { nullable: true })
  remoteHost!: string | null;

  @Field(() => String, { nullable: true })
  clientApplication!: string | null;

  @Field(() => Confidence, { description: 'The confidence of the best evidence.' })
  confidence!: string;

  @Field(() => Boolean, {
    description: 'The evidence disagrees: it names more than one database user, or more than one application user. All of it is in `evidence`; none is dropped to hide the conflict.',
  })
  conflict!: boolean;

  @Field(() => [Evidence])
  evidence!: Evidence[];
}
