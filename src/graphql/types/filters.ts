import { Field, InputType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from './scalars.js';
import { ChangeOperation } from './change.js';

export const FeedOrder = { NEWEST_FIRST: 'NEWEST_FIRST', FEED_ORDER: 'FEED_ORDER' } as const;
registerEnumType(FeedOrder, {
  name: 'FeedOrder',
  valuesConfig: {
    NEWEST_FIRST: { description: 'By commit (or event) time, newest first.' },
    FEED_ORDER: { description: 'In the order the warehouse stored them, oldest first — the order subscriptions follow.' },
  },
});

@InputType({ description: 'Every field narrows; absent fields do not.' })
export class ChangeFilter {
  @Field(() => String, { nullable: true })
  database?: string | null;

  @Field(() => String, { nullable: true })
  schema?: string | null;

  @Field(() => String, { nullable: true })
  table?: string | null;

  @Field(() => JSONScalar, { nullable: true, description: 'Primary-key columns → values, any JSON scalar type ({id: 1001} = {id: "1001"}).' })
  key?: unknown;

  @Field(() => [ChangeOperation], { nullable: true })
  operations?: string[] | null;

  @Field(() => String, { nullable: true, description: 'The change touched this column.' })
  field?: string | null;

  @Field(() => String, { nullable: true, description: 'A database user or application user that attribution evidence names.' })
  actor?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Committed at or after (inclusive).' })
  since?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Committed before (exclusive).' })
  until?: Date | null;

  @Field(() => String, { nullable: true })
  transactionId?: string | null;

  @Field(() => String, { nullable: true })
  server?: string | null;

  @Field(() => String, { nullable: true, description: 'The ingest stream (`auditql ingest --source`).' })
  source?: string | null;

  @Field(() => String, { nullable: true })
  format?: string | null;
}

@InputType({ description: 'Every field narrows; absent fields do not.' })
export class ActivityFilter {
  @Field(() => String, { nullable: true })
  database?: string | null;

  @Field(() => String, { nullable: true, description: 'The database user.' })
  user?: string | null;

  @Field(() => [String], { nullable: true, description: 'Normalized classes: READ, WRITE, DDL, ROLE, FUNCTION, CONNECT, DISCONNECT, ERROR, AUTH_FAILURE, MISC, OTHER.' })
  classes?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Commands (SELECT, UPDATE, CREATE TABLE …), any letter case.' })
  commands?: string[] | null;

  @Field(() => String, { nullable: true })
  objectName?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only successful; false: only failed.' })
  success?: boolean | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'At or after (inclusive).' })
  since?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Before (exclusive).' })
  until?: Date | null;

  @Field(() => String, { nullable: true })
  transactionId?: string | null;

  @Field(() => String, { nullable: true })
  sessionId?: string | null;

  @Field(() => String, { nullable: true })
  server?: string | null;

  @Field(() => String, { nullable: true })
  source?: string | null;

  @Field(() => String, { nullable: true })
  format?: string | null;
}
