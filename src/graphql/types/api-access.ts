import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from './scalars.js';
import { PageInfo } from './page-info.js';

@ObjectType({ simpleResolvers: true, description: 'One API operation or refusal, as the access audit recorded it (docs/security.md "Access audit").' })
export class ApiAccess {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Opaque; works as `after` in `apiAccess`.' })
  cursor!: string;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => String, { nullable: true, description: 'Who (JWT subject or API key name); null when refused before identifying anyone.' })
  principal!: string | null;

  @Field(() => String, { nullable: true })
  role!: string | null;

  @Field(() => String, { nullable: true, description: 'jwt, api-key or none.' })
  authKind!: string | null;

  @Field(() => String, { nullable: true })
  clientAddress!: string | null;

  @Field(() => String, { description: 'http, or ws (graphql-ws subscriptions and their refusals).' })
  transport!: string;

  @Field(() => String, {
    description: 'operation (an HTTP request that reached GraphQL), refusal (refused before GraphQL ran: credentials, Origin, rate limit), ' +
      'subscription_start (a graphql-ws subscribe, allowed or refused) or subscription_end (a subscription ended; rowsReturned: the events it delivered).',
  })
  event!: string;

  @Field(() => String, { nullable: true, description: 'query, mutation or subscription.' })
  operationType!: string | null;

  @Field(() => String, { nullable: true })
  operationName!: string | null;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the document text.' })
  documentHash!: string | null;

  @Field(() => JSONScalar, { nullable: true, description: 'The variables sent, each value replaced by {"$masked": "redact"}.' })
  variables!: unknown;

  @Field(() => Int, { nullable: true, description: 'Rows returned: edges (or nodes) in the answer; for subscription_end, the events delivered.' })
  rowsReturned!: number | null;

  @Field(() => String, { description: 'allowed or refused.' })
  decision!: string;

  @Field(() => String, { nullable: true, description: 'Why refused (a refusal reason of docs/security.md, or forbidden_field), or the first error code.' })
  reason!: string | null;

  @Field(() => Float, { nullable: true, description: 'How long the request took; for subscription_end, how long the subscription ran.' })
  durationMs!: number | null;
}

@ObjectType({ simpleResolvers: true })
export class ApiAccessEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ApiAccess)
  node!: ApiAccess;
}

@ObjectType({ simpleResolvers: true })
export class ApiAccessConnection {
  @Field(() => [ApiAccessEdge])
  edges!: ApiAccessEdge[];

  @Field(() => [ApiAccess])
  nodes!: ApiAccess[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: 'Narrows the access audit; every field narrows, absent fields do not (docs/security.md "Access audit").' })
export class ApiAccessFilter {
  @Field(() => String, { nullable: true, description: 'This principal (JWT subject or API key name).' })
  principal?: string | null;

  @Field(() => String, { nullable: true })
  role?: string | null;

  @Field(() => String, { nullable: true, description: 'allowed or refused.' })
  decision?: string | null;

  @Field(() => String, { nullable: true, description: 'operation, refusal, subscription_start or subscription_end.' })
  event?: string | null;

  @Field(() => String, { nullable: true })
  operationName?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Recorded at or after (inclusive).' })
  since?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Recorded before (exclusive).' })
  until?: Date | null;
}
