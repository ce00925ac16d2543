/**
 * The GraphQL schema, built by type-graphql from the resolver classes. `schema/schema.graphql` is this
 * schema printed (`npm run schema`); test/graphql/schema.test.ts fails when they differ.
 * Subscriptions add their resolver class to API_RESOLVERS.
 */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { DateTimeScalar } from './types/scalars.js';
import { graphqlJs } from './graphql-js.js';
import { FeedSubscriptions, NO_PUBSUB } from './subscriptions/feed-subscriptions.js';
import { ChangeQueries } from './resolvers/change-queries.js';
import { ActivityQueries } from './resolvers/activity-queries.js';
import { EntityAtQueries } from './resolvers/entity-at.js';
import { ChangeFields } from './resolvers/change-fields.js';
import { ActivityFields } from './resolvers/activity-fields.js';
import { TransactionFields } from './resolvers/transaction-fields.js';
import { AttributionQueries } from './resolvers/attribution-queries.js';
import { SchemaChangeQueries } from './resolvers/schema-change-queries.js';
import { ActivityProof, ChangeProof, LedgerQueries } from './ledger/ledger-resolvers.js';
import { CheckpointSubscription } from './ledger/checkpoint-subscription.js';
import { enforcePolicy } from './policy/enforce-policy.js';
import { ApiAccessQueries } from './access/api-access-queries.js';
import { ForwarderQueries } from './resolvers/forwarder-queries.js';
import { ApiAccessSubscription } from './access/api-access-subscription.js';

export const API_RESOLVERS = [
  ChangeQueries, ActivityQueries, EntityAtQueries, TransactionFields, ChangeFields, ActivityFields, AttributionQueries,
  ChangeProof, ActivityProof, LedgerQueries, SchemaChangeQueries, ApiAccessQueries, ForwarderQueries,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The schema (built once per process; it is immutable). */
export function buildApiSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...API_RESOLVERS, FeedSubscriptions, CheckpointSubscription, ApiAccessSubscription],
    pubSub: NO_PUBSUB, // required with subscriptions; ours read the warehouse (src/graphql/subscriptions/)
    // No class-validator: arguments are checked where they are used, with stable error codes.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  }).then(enforcePolicy); // roles, scopes and masking, for HTTP and subscriptions alike
  return built;
}

export const SCHEMA_HEADER =
  '# The auditql GraphQL schema. Generated from src/graphql by `npm run schema`; do not edit.\n' +
  '# Names here are public interface (docs/graphql.md "The pinned contract"): add, never rename.\n\n';

/** The SDL as checked in: sorted, so it changes only when the schema does. */
export function printApiSchema(schema: GraphQLSchema): string {
  return SCHEMA_HEADER + graphqlJs.printSchema(graphqlJs.lexicographicSortSchema(schema)) + '\n';
}
