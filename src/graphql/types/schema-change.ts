import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from './scalars.js';
import { PageInfo } from './page-info.js';

@ObjectType({ simpleResolvers: true, description: 'One DDL event as the source reported it (Maxwell DDL, Debezium schema-change events).' })
export class SchemaChange {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Opaque; works as `after` in `schemaChanges`.' })
  cursor!: string;

  @Field(() => String, { description: 'The kind of change as the source names it: Maxwell `table-create`, `table-alter`, `database-drop` …; Debezium `CREATE`, `ALTER`, `DROP`.' })
  changeType!: string;

  @Field(() => String, { nullable: true })
  database!: string | null;

  @Field(() => String, { nullable: true, description: 'PostgreSQL schema; null for MySQL.' })
  schema!: string | null;

  @Field(() => String, { nullable: true, description: 'The table it is about; null for database-level DDL.' })
  table!: string | null;

  @Field(() => String, { nullable: true, description: 'The statement text.' })
  ddl!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the source applied it; null when it did not say.' })
  occurredAt!: Date | null;

  @Field(() => String, { nullable: true })
  server!: string | null;

  @Field(() => String)
  source!: string;

  @Field(() => String)
  position!: string;

  @Field(() => String, { description: 'maxwell or debezium.' })
  format!: string;

  @Field(() => JSONScalar, { nullable: true, description: 'What else the source said: Maxwell the resolved old and new definitions, Debezium its table changes.' })
  detail!: unknown;

  @Field(() => DateTimeScalar)
  ingestedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class SchemaChangeEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => SchemaChange)
  node!: SchemaChange;
}

@ObjectType({ simpleResolvers: true })
export class SchemaChangeConnection {
  @Field(() => [SchemaChangeEdge])
  edges!: SchemaChangeEdge[];

  @Field(() => [SchemaChange])
  nodes!: SchemaChange[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
