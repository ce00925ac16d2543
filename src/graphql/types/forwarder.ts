import { Field, Float, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

@ObjectType({
  simpleResolvers: true,
  description: 'An `auditql forward` forwarder and how far behind the feed it is (docs/siem.md "Lag"). Its last error is shown by code only: the message is the destination\'s free text.',
})
export class Forwarder {
  @Field({ description: 'The forwarder\'s name (`--name`): its cursor is kept under it.' })
  name!: string;

  @Field({ description: 'Where it sends: `splunk-hec`, `http`, `kafka` or `file`.' })
  destination!: string;

  @Field({ description: '`ocsf`, `ecs` or `json`.' })
  format!: string;

  @Field(() => String, { nullable: true, description: 'The policy role its events are masked as (`--role`).' })
  role!: string | null;

  @Field({ description: 'The feed sequence number up to which the destination acknowledged every matching event (decimal text; 0: nothing yet).' })
  cursor!: string;

  @Field(() => Float, { description: 'Events the destination acknowledged, all runs together.' })
  ackedEvents!: number;

  @Field(() => Float, { description: 'Stored events above its cursor, matching its filter or not (counted up to 1,000,000 per table).' })
  lagEvents!: number;

  @Field(() => Float, { description: 'How long the oldest event above its cursor has been stored, in seconds; 0 when caught up.' })
  lagSeconds!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the destination last acknowledged a batch (or the cursor last moved).' })
  lastAckedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The stable code of the last failure, null once a batch succeeded since (docs/siem.md "Failures").' })
  lastErrorCode!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the last failure happened.' })
  lastErrorAt!: Date | null;
}
