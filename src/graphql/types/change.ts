import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from './scalars.js';
import { PageInfo } from './page-info.js';

export const ChangeOperation = { INSERT: 'INSERT', UPDATE: 'UPDATE', DELETE: 'DELETE', SNAPSHOT: 'SNAPSHOT', TRUNCATE: 'TRUNCATE' } as const;
registerEnumType(ChangeOperation, {
  name: 'ChangeOperation',
  description: 'What a change did. SNAPSHOT: the row as read by an initial snapshot (not a change made then).',
});

export const ValueOrigin = { IMAGE: 'IMAGE', HISTORY: 'HISTORY', ABSENT: 'ABSENT', UNKNOWN: 'UNKNOWN' } as const;
registerEnumType(ValueOrigin, {
  name: 'ValueOrigin',
  description: 'Where a field value comes from.',
  valuesConfig: {
    IMAGE: { description: "This change's own before or after image." },
    HISTORY: { description: "The entity's earlier changes (history stitching): the before image lacked it." },
    ABSENT: { description: 'There was no row (old value of an INSERT, new value of a DELETE) or no such column: null.' },
    UNKNOWN: { description: 'Not known: the value is null because it is unknown, not because it was null.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'One changed field, old → new.' })
export class FieldChange {
  @Field(() => String)
  field!: string;

  @Field(() => JSONScalar, { nullable: true, description: 'The value before the change; null with `oldValueKnown: false` means unknown, not null.' })
  oldValue!: unknown;

  @Field(() => JSONScalar, { nullable: true })
  newValue!: unknown;

  @Field(() => Boolean, { description: 'False when the source gave no old value (incomplete before image) and history could not tell it.' })
  oldValueKnown!: boolean;

  @Field(() => Boolean)
  newValueKnown!: boolean;

  @Field(() => ValueOrigin)
  oldValueFrom!: string;

  @Field(() => ValueOrigin)
  newValueFrom!: string;
}

@ObjectType({ simpleResolvers: true, description: 'One row change, as captured from the source database.' })
export class Change {
  @Field(() => ID, { description: 'Stable id of the change in this warehouse.' })
  id!: string;

  @Field(() => String, { description: 'Opaque; works as `after` in connections and subscriptions.' })
  cursor!: string;

  @Field(() => ChangeOperation)
  operation!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the source committed it; null when the source did not say.' })
  committedAt!: Date | null;

  @Field(() => String, { description: 'Where `committedAt` came from: SOURCE, ENVELOPE or UNKNOWN.' })
  committedAtSource!: string;

  @Field(() => String, { nullable: true })
  database!: string | null;

  @Field(() => String, { nullable: true, description: 'PostgreSQL schema; null for MySQL.' })
  schema!: string | null;

  @Field(() => String)
  table!: string;

  @Field(() => JSONScalar, { description: 'Primary-key columns → values.' })
  key!: unknown;

  @Field(() => String, { description: 'Where the key came from: RECORD_KEY, SOURCE_PK, CONFIGURED, ID_COLUMN, ROW_IMAGE or NONE.' })
  keySource!: string;

  @Field(() => JSONScalar, { nullable: true, description: 'The row before the change, as the source gave it (columns it did not send are absent).' })
  before!: unknown;

  @Field(() => JSONScalar, { nullable: true, description: 'The row after the change (unchanged TOAST values the source did not send are absent; see `unknownAfter`).' })
  after!: unknown;

  @Field(() => Boolean, { description: 'False when the source could not give a full before image: old values it lacks are unknown, not null.' })
  beforeComplete!: boolean;

  @Field(() => [String], { description: 'Columns whose old value the source did not send.' })
  unknownBefore!: string[];

  @Field(() => [String], { description: 'Columns whose new value the source did not send (unchanged TOAST).' })
  unknownAfter!: string[];

  @Field(() => [String], { description: 'Columns the change touched as stored (with an incomplete before image: every column that may have changed).' })
  changedFields!: string[];

  @Field(() => String, { nullable: true, description: "The source's transaction id." })
  transactionId!: string | null;

  @Field(() => String, { nullable: true, description: 'Server identity the change came from (Debezium `source.name`, MySQL server id …).' })
  server!: string | null;

  @Field(() => String, { description: 'The ingest stream it came through (`auditql ingest --source`).' })
  source!: string;

  @Field(() => String, { description: 'Its position in that stream (unique per source).' })
  position!: string;

  @Field(() => String, { description: 'debezium, maxwell or pgoutput.' })
  format!: string;

  @Field(() => JSONScalar, { description: 'Format-specific facts (LSN, binlog file and position, GTID …).' })
  extra!: unknown;

  @Field(() => DateTimeScalar)
  ingestedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class ChangeEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Change)
  node!: Change;
}

@ObjectType({ simpleResolvers: true })
export class ChangeConnection {
  @Field(() => [ChangeEdge])
  edges!: ChangeEdge[];

  @Field(() => [Change], { description: 'The edges\' nodes, for clients that do not need per-edge cursors.' })
  nodes!: Change[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
