/**
 * The per-request GraphQL context: the warehouse, fresh DataLoaders, and the limits resolvers enforce.
 * HTTP builds one per request (server.ts); the graphql-ws transport (subscriptions/) builds one per operation with
 * the same function.
 */
import type { WarehouseDb } from '../warehouse/db.js';
import type { Logger } from '../log.js';
import { createLoaders, type Loaders } from './loaders.js';
import { ANONYMOUS, type AuthContext } from './auth.js';
import { BUILTIN_POLICY } from '../policy/load-policy.js';
import type { Policy } from '../policy/policy.js';

export interface ApiContext {
  readonly warehouse: WarehouseDb;
  readonly loaders: Loaders;
  readonly maxPageSize: number;
  readonly log: Logger;
  /** Who asks (HTTP: from the request's credentials; subscriptions: the connection's). */
  readonly auth: AuthContext;
  /** Roles, scopes and masking; what the caller's `auth.role` sees (src/graphql/policy/). */
  readonly policy: Policy;
  /** The caller's address, for the access audit. */
  readonly clientAddress?: string | null;
}

export function createApiContext(o: {
  warehouse: WarehouseDb;
  maxPageSize: number;
  log: Logger;
  auth?: AuthContext;
  /** Default: the built-in roles. */
  policy?: Policy;
  clientAddress?: string | null;
  /** Told the number of keys of each DataLoader batch (metrics). */
  onLoaderBatch?: (loader: string, keys: number) => void;
}): ApiContext {
  return {
    warehouse: o.warehouse, loaders: createLoaders(o.warehouse.db, o.onLoaderBatch), maxPageSize: o.maxPageSize, log: o.log, auth: o.auth ?? ANONYMOUS,
    policy: o.policy ?? BUILTIN_POLICY, clientAddress: o.clientAddress ?? null,
  };
}
