/**
 * Subscriptions over graphql-ws (subprotocol `graphql-transport-ws`) on the API's own HTTP server and path
 * (docs/configuration.md "Commands"; docs/subscriptions.md): a `ws` WebSocketServer handling the upgrade of
 * `/graphql`, graphql-ws's `useServer` speaking the protocol, and the change feed (src/feed/) behind it.
 *
 * - `connection_init`: its payload goes to the auth hook (src/graphql/auth.ts); refused → close 4403.
 * - `subscribe`: parsed and validated here with the same depth/cost limits and NUL-argument check as
 *   HTTP (request-checks.ts); only subscription operations (queries and mutations go over HTTP, where introspection settings apply).
 * - events are executed and serialized once per distinct operation and caller, not once per subscriber,
 *   and written to each subscriber's socket directly (shared-execution.ts, fanout-delivery.ts); results
 *   and errors are masked like HTTP's (src/graphql/errors.ts).
 * - a connection dropped as too slow — a subscriber queue full and not taken from, or the socket full and
 *   not written out (slow-connections.ts) — gets an `error` message (AUDITQL_SUBSCRIBER_TOO_SLOW) for each
 *   subscription and is closed with 4429 and reason AUDITQL_SUBSCRIBER_TOO_SLOW (close-codes.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { DocumentNode, ExecutionArgs, GraphQLError as GraphQLErrorType, GraphQLFormattedError } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Context, SubscribePayload } from 'graphql-ws';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { WarehouseDb } from '../../warehouse/db.js';
import { ChangeFeed, type ChangeFeedOptions } from '../../feed/change-feed.js';
import { ACCESS_CHANNEL, apiAccessHead } from '../../warehouse/queries/api-access.js';
import { allowAll, ANONYMOUS, type AuthContext, type AuthHook } from '../auth.js';
import { createFormatError } from '../errors.js';
import { graphqlJs } from '../graphql-js.js';
import { queryLimitsRule } from '../limits.js';
import { nulArgumentError } from '../nul-arguments.js';
import type { ServerAttachment } from '../server-attachment.js';
import { closeReasonOf, CloseReason, SubscriptionCloseCode } from './close-codes.js';
import { subscriptionContext } from './subscription-context.js';
import { executionKey, subscribeShared } from './shared-execution.js';
import type { DeliveryTarget } from './fanout-delivery.js';
import { SlowConnections, type TooSlowConnection } from './slow-connections.js';
import { subscriptionAudit, type RecordAccess, type SubscriptionAudit } from '../access/subscription-access.js';
import { refusalEntry } from '../access/access-entry.js';
import { callerKey, type RateLimiter } from '../auth/rate-limit.js';
import { callerLimits } from '../role-limits.js';
import { operationNotAllowed } from '../policy/operation-allow-list.js';

const { GraphQLError, execute, getOperationAST, parse, specifiedRules, validate } = graphqlJs;

export interface SubscriptionOptions {
  /** Decides on each connection from its `connection_init` payload (default: everyone, anonymously). */
  readonly auth?: AuthHook;
  /** Change feed tuning (poll interval, page size, per-subscriber queue limit, stall timeout). */
  readonly feed?: Partial<Pick<ChangeFeedOptions, 'pollMs' | 'pageSize' | 'queueLimit' | 'stallMs'>>;
  /** Subscriptions one connection may hold at once (default 100). */
  readonly maxSubscriptionsPerConnection?: number;
  /** graphql-ws server pings every this many ms and drops a client that does not pong (default 12 000). */
  readonly keepAliveMs?: number;
  /** Largest message accepted from a client (default 256 KiB, like HTTP bodies). */
  readonly maxPayloadBytes?: number;
  /** Bytes a connection may have queued before sends wait for the network (default 256 KiB). */
  readonly socketHighWaterBytes?: number;
  /** A connection at the high-water mark that writes nothing out for this long is dropped as too slow (default 5 000 ms). */
  readonly socketStallMs?: number;
  /** After the 4429 close frame, a client that still reads nothing is disconnected after this long (default 10 000 ms). */
  readonly closeGraceMs?: number;
  /** Called when a connection is dropped as too slow (tests and operators). */
  readonly onTooSlow?: (e: TooSlowConnection) => void;
  /** Refuses a WebSocket upgrade (a browser Origin not allowed: src/graphql/auth/origin-policy.ts) with 403. */
  readonly verifyUpgrade?: (request: IncomingMessage) => boolean;
  /**
   * Watches an accepted connection's credentials (src/graphql/auth/session-watch.ts): `end` closes the
   * connection (token expiry, key revocation); the returned function stops watching when it closes.
   */
  readonly watch?: (who: AuthContext, end: (code: number, reason: string) => void) => () => void;
  /**
   * The access audit (docs/security.md "Access audit"): told of each refused upgrade or `connection_init`
   * and of each subscription's start (or refusal) and end.
   */
  readonly recordAccess?: RecordAccess;
  /** Per-principal rate limits (src/graphql/auth/rate-limit.ts): each `subscribe` takes a token of its role's `rateLimit`. */
  readonly rateLimiter?: RateLimiter;
  /** Called with the feed once it exists (tests and benchmarks read its stats). */
  readonly onFeed?: (feed: ChangeFeed) => void;
}

export const SUBSCRIPTION_DEFAULTS = Object.freeze({ socketHighWaterBytes: 256 * 1024, socketStallMs: 5_000, closeGraceMs: 10_000 });

type Extra = {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
};
type WsContext = Context<Record<string, unknown> | undefined, Extra>;

/** Codes whose messages are written for clients, over WebSocket (HTTP's list plus the feed's own). */
const FEED_CLIENT_CODES: ReadonlySet<string> = new Set([ErrorCode.SUBSCRIBER_TOO_SLOW]);

function original(e: GraphQLErrorType): unknown {
  let err: unknown = e;
  while (err && typeof err === 'object' && 'originalError' in err && (err as { originalError?: unknown }).originalError) {
    err = (err as { originalError: unknown }).originalError;
  }
  return err;
}

/** The attachment for `startApiServer` (src/graphql/server.ts). */
export function graphqlWsSubscriptions(warehouse: WarehouseDb, o: SubscriptionOptions = {}): ServerAttachment {
  return (s) => {
    const log: Logger = s.log;
    const auth = o.auth ?? allowAll;
    const maxSubs = o.maxSubscriptionsPerConnection ?? 100;
    const feed = new ChangeFeed({ db: warehouse.db, listenUrl: warehouse.url, log, ...o.feed });
    // Started by its first subscriber, like the change feed: no connection until someone follows the audit.
    const accessFeed = new ChangeFeed({
      db: warehouse.db, listenUrl: warehouse.url, log, ...o.feed, sequence: { head: apiAccessHead, channel: ACCESS_CHANNEL },
    });
    const feeds = { feed, accessFeed };
    o.onFeed?.(feed);
    const formatError = createFormatError(log);
    const format = (errors: readonly GraphQLErrorType[]): GraphQLFormattedError[] =>
      errors.map((e) => {
        const cause = original(e);
        if (cause instanceof AuditqlError && FEED_CLIENT_CODES.has(cause.code)) return { message: cause.message, extensions: { code: cause.code } };
        return formatError(e.toJSON(), e);
      });
    const auths = new WeakMap<object, AuthContext>();
    /** Operation context → how it is executed and delivered (shared-execution.ts, fanout-delivery.ts). */
    const operations = new WeakMap<object, { readonly key: string; readonly target?: DeliveryTarget; readonly audit?: SubscriptionAudit }>();
    const recordAccess = o.recordAccess;
    const addressOf = (req: IncomingMessage) => req.socket.remoteAddress ?? null;
    const sharedOp = (key: string) => ({ key, format });

    const slow = new SlowConnections({
      highWaterBytes: o.socketHighWaterBytes ?? SUBSCRIPTION_DEFAULTS.socketHighWaterBytes,
      socketStallMs: o.socketStallMs ?? SUBSCRIPTION_DEFAULTS.socketStallMs,
      closeGraceMs: o.closeGraceMs ?? SUBSCRIPTION_DEFAULTS.closeGraceMs,
      log,
      ...(o.onTooSlow ? { onTooSlow: o.onTooSlow } : {}),
    });

    const verifyUpgrade = o.verifyUpgrade;
    const wss = new WebSocketServer({
      server: s.httpServer, path: s.path, maxPayload: o.maxPayloadBytes ?? 256 * 1024,
      ...(verifyUpgrade ? {
        verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string) => void) => {
          const ok = verifyUpgrade(info.req);
          if (!ok) recordAccess?.(refusalEntry('ws', addressOf(info.req), 'bad_origin'));
          done(ok, 403, 'Origin not allowed');
        },
      } : {}),
    });
    wss.on('error', (err) => log.error(`graphql-ws: ${err.message}`));
    // Before useServer's own listener, so graphql-ws sends through it (socket-writes.ts).
    wss.on('connection', (socket) => slow.attach(socket));
    const server = useServer<Record<string, unknown> | undefined, Extra>(
      {
        schema: s.schema,
        execute: (args: ExecutionArgs) => execute(args),
        subscribe: (args: ExecutionArgs) => {
          const op = operations.get(args.contextValue as object);
          const result = subscribeShared(args, sharedOp(op?.key ?? String(Math.random())), op?.target);
          return op?.audit ? result.then((r) => op.audit!.track(r)) : result;
        },
        async onConnect(ctx: WsContext) {
          try {
            const who = await auth(ctx.connectionParams);
            if (!who) {
              recordAccess?.(refusalEntry('ws', addressOf(ctx.extra.request), 'forbidden'));
              return false;
            }
            auths.set(ctx, who);
            slow.track(ctx.extra.socket, () => ctx.subscriptions);
            const socket = ctx.extra.socket;
            const stop = o.watch?.(who, (code, reason) => socket.close(code, reason));
            if (stop) socket.once('close', stop);
            return true;
          } catch (err) {
            log.warn(`graphql-ws: the auth hook failed, connection refused: ${(err as Error).message}`);
            const reason = (err as { reason?: unknown }).reason;
            recordAccess?.(refusalEntry('ws', addressOf(ctx.extra.request), typeof reason === 'string' ? reason : err instanceof AuditqlError ? err.code : 'error'));
            // A refusal with a stable code says why in the close reason (graphql-ws's own close is then a no-op).
            if (err instanceof AuditqlError) ctx.extra.socket.close(SubscriptionCloseCode.Forbidden, closeReasonOf(err));
            return false;
          }
        },
        onSubscribe(ctx: WsContext, id, payload) {
          const audit = recordAccess ? subscriptionAudit(recordAccess, {
            auth: auths.get(ctx) ?? ANONYMOUS, clientAddress: addressOf(ctx.extra.request), query: payload.query,
            operationName: payload.operationName, variables: payload.variables,
          }) : undefined;
          const checked = checkSubscribe(ctx, id, payload, audit);
          if (Array.isArray(checked)) audit?.refused(checked);
          return checked;
        },
        onNext(_ctx, _id, _payload, _args, result) {
          if (!result.errors) return undefined;
          return { ...result, errors: format(result.errors) };
        },
        onError(_ctx, _id, _payload, errors) {
          return format(errors);
        },
      },
      wss,
      o.keepAliveMs,
    );

    /** The checks of a `subscribe` message before it runs: the execution args, or why it is refused. */
    function checkSubscribe(ctx: WsContext, id: string, payload: SubscribePayload, audit: SubscriptionAudit | undefined): ExecutionArgs | readonly GraphQLErrorType[] {
      if (Object.keys(ctx.subscriptions).length > maxSubs) {
        return [new GraphQLError(`at most ${maxSubs} subscriptions per connection`, { extensions: { code: ErrorCode.BAD_INPUT } })];
      }
      let document: DocumentNode;
      try {
        document = parse(payload.query);
      } catch (err) {
        return [err as GraphQLErrorType];
      }
      const variables = payload.variables ?? undefined;
      const op = getOperationAST(document, payload.operationName);
      if (!op) return [new GraphQLError('Unable to identify operation')];
      audit?.named(op.name?.value);
      if (op.operation !== 'subscription') {
        return [new GraphQLError('only subscriptions are served over WebSocket; send queries over HTTP POST to /graphql', { nodes: [op], extensions: { code: ErrorCode.BAD_INPUT } })];
      }
      const who = auths.get(ctx) ?? ANONYMOUS;
      const base = s.context();
      const role = who.role === undefined ? undefined : base.policy.roles.get(who.role);
      const rate = role?.limits.rateLimit;
      if (rate && o.rateLimiter?.take(callerKey(who.kind, who.principal, addressOf(ctx.extra.request)), rate) != null) {
        return [new GraphQLError(`too many requests: the role ${JSON.stringify(who.role)} allows ${rate.perSecond} a second (burst ${rate.burst})`, { extensions: { code: ErrorCode.RATE_LIMITED } })];
      }
      const notAllowed = operationNotAllowed(role, payload.query, document);
      if (notAllowed) return [notAllowed];
      const limits = callerLimits(base.policy, who.role, { ...s.limits, maxPageSize: base.maxPageSize });
      const errors = validate(s.schema, document, [...specifiedRules, queryLimitsRule(limits, variables, payload.operationName)]);
      if (errors.length > 0) return errors;
      const nul = nulArgumentError(document, variables);
      if (nul) return [nul];
      const socket = ctx.extra.socket;
      const args: ExecutionArgs = {
        schema: s.schema,
        document,
        operationName: payload.operationName,
        variableValues: variables,
        contextValue: subscriptionContext({ ...base, maxPageSize: limits.maxPageSize }, feeds, who, (error) => slow.drop(socket, 'queue', error, id)),
      };
      const frames = slow.frames(socket);
      const onEvent = audit ? () => audit.delivered() : undefined;
      operations.set(args.contextValue as object, {
        key: executionKey(payload.query, args, who), ...(frames ? { target: { id, frames, ...(onEvent ? { onEvent } : {}) } } : {}), ...(audit ? { audit } : {}),
      });
      return args;
    }

    let closing: Promise<void> | undefined;
    return {
      close() {
        // Sockets first (1001 Going away: clients resubscribe with `after` elsewhere), then the feed. Ending
        // the feed first would send `complete`, which a client takes as the subscription having finished.
        closing ??= (async () => {
          const stragglers = setTimeout(() => {
            for (const c of wss.clients) c.terminate();
          }, 2000);
          await Promise.resolve(server.dispose()).catch((err: unknown) => log.warn(`graphql-ws: closing: ${(err as Error).message}`));
          clearTimeout(stragglers);
          await Promise.all([feed.close(), accessFeed.close()]);
        })();
        return closing;
      },
    };
  };
}
