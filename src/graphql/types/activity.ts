import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar, SafeIntScalar } from './scalars.js';
import { PageInfo } from './page-info.js';

@ObjectType({ simpleResolvers: true, description: 'One statement or session event (Aurora Database Activity Streams, pgAudit).' })
export class Activity {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Opaque; works as `after` in connections and subscriptions.' })
  cursor!: string;

  @Field(() => String, { description: 'READ, WRITE, DDL, ROLE, FUNCTION, CONNECT, DISCONNECT, ERROR, AUTH_FAILURE, MISC or OTHER.' })
  class!: string;

  @Field(() => String, { nullable: true, description: 'The class as the source named it.' })
  rawClass!: string | null;

  @Field(() => String, { nullable: true })
  command!: string | null;

  @Field(() => String, { nullable: true })
  commandText!: string | null;

  @Field(() => String, { nullable: true })
  objectType!: string | null;

  @Field(() => String, { nullable: true })
  objectName!: string | null;

  @Field(() => String, { nullable: true })
  database!: string | null;

  @Field(() => String, { nullable: true })
  dbUser!: string | null;

  @Field(() => String, { nullable: true })
  remoteHost!: string | null;

  @Field(() => String, { nullable: true })
  remotePort!: string | null;

  @Field(() => String, { nullable: true })
  clientApplication!: string | null;

  @Field(() => String, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  pid!: string | null;

  @Field(() => String, { nullable: true })
  statementId!: string | null;

  @Field(() => String, { nullable: true })
  substatementId!: string | null;

  @Field(() => SafeIntScalar, { nullable: true })
  rowCount!: number | null;

  @Field(() => String, { nullable: true })
  exitCode!: string | null;

  @Field(() => String, { nullable: true })
  errorMessage!: string | null;

  @Field(() => Boolean, { description: 'False for errors and failed logins (class ERROR or AUTH_FAILURE: the decoder reads a failing exit code for its format and engine), or an error message. A PostgreSQL SQLSTATE 00000 is success.' })
  success!: boolean;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was logged (statement end).' })
  occurredAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt!: Date | null;

  @Field(() => String, { nullable: true })
  transactionId!: string | null;

  @Field(() => String, { nullable: true })
  server!: string | null;

  @Field(() => JSONScalar, { nullable: true })
  parameters!: unknown;

  @Field(() => String)
  source!: string;

  @Field(() => String)
  position!: string;

  @Field(() => String, { description: 'das or pgaudit.' })
  format!: string;

  @Field(() => JSONScalar)
  extra!: unknown;

  @Field(() => DateTimeScalar)
  ingestedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class ActivityEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Activity)
  node!: Activity;
}

@ObjectType({ simpleResolvers: true })
export class ActivityConnection {
  @Field(() => [ActivityEdge])
  edges!: ActivityEdge[];

  @Field(() => [Activity])
  nodes!: Activity[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
