import { Field, ObjectType } from 'type-graphql';

@ObjectType({
  simpleResolvers: true,
  description: 'A source transaction: its changes, the statements that ran in it, and its application context.',
})
export class Transaction {
  @Field(() => String, { description: "The source's transaction id." })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The server it ran on (ids are unique per server).' })
  server!: string | null;
}
