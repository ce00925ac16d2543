/** How a transport attaches to the API's HTTP server: graphql-ws subscriptions are one. */
import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../log.js';
import type { ApiContext } from './context.js';
import type { QueryLimits } from './limits.js';

/** A transport sharing the HTTP server and `/graphql` (graphql-ws, docs/subscriptions.md). */
export interface ServerAttachment {
  (s: {
    readonly httpServer: Server;
    readonly path: string;
    readonly schema: GraphQLSchema;
    /** A fresh per-operation context (DataLoaders included). */
    readonly context: () => ApiContext;
    readonly limits: QueryLimits;
    readonly log: Logger;
  }): Promise<{ close(): Promise<void> }> | { close(): Promise<void> };
}
