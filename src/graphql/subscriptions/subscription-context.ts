/**
 * The context of one subscription operation: the API context (src/graphql/context.ts) plus the change feed
 * and the connection's `AuthContext`. Field resolvers must use the loaders of the batch the event came
 * from (batch-loaders.ts): shared-execution.ts gives each execution a context with them; when an event is
 * executed any other way (graphql-js's own `subscribe`, one event of an operation at a time), the root
 * field points `loaders` at them with `useLoaders` before any field resolver of that event runs.
 */
import type { ApiContext } from '../context.js';
import type { Loaders } from '../loaders.js';
import type { AuthContext } from '../auth.js';
import type { ChangeFeed } from '../../feed/change-feed.js';
import type { AuditqlError } from '../../errors.js';

export interface SubscriptionContext extends ApiContext {
  readonly feed: ChangeFeed;
  /** The access audit's own feed (`Subscription.apiAccessAdded`). */
  readonly accessFeed: ChangeFeed;
  readonly auth: AuthContext;
  /** The transport's reaction to a subscriber dropped as too slow (close the connection). */
  readonly onDrop: (error: AuditqlError) => void;
  /** Use these loaders for the event about to execute. */
  useLoaders(loaders: Loaders): void;
}

export function subscriptionContext(
  base: ApiContext, feeds: { readonly feed: ChangeFeed; readonly accessFeed: ChangeFeed }, auth: AuthContext, onDrop: (error: AuditqlError) => void,
): SubscriptionContext {
  let loaders = base.loaders;
  return {
    ...base,
    feed: feeds.feed,
    accessFeed: feeds.accessFeed,
    auth,
    onDrop,
    get loaders() {
      return loaders;
    },
    useLoaders(l: Loaders) {
      loaders = l;
    },
  };
}

export function isSubscriptionContext(ctx: ApiContext): ctx is SubscriptionContext {
  return 'feed' in ctx && 'useLoaders' in ctx;
}
