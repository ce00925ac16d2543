import { Field, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'Relay page info (https://relay.dev/graphql/connections.htm). Pages go forward: pass `endCursor` as `after`.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More rows follow this page.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'This page started after a cursor (forward paging only).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page.' })
  endCursor!: string | null;
}
