/**
 * The API server (docs/configuration.md "Commands": `auditql serve`): one `http.Server` carrying
 * - `GET /healthz` — 200 when the warehouse answers and is migrated, else 503;
 * - `GET /readyz` — 200 only when the warehouse answers, its migrations are current and every extra
 *   readiness check passes (src/health/readiness.ts; docs/operations.md "Probes");
 * - `GET /metrics` — Prometheus metrics, when `telemetry` is given (src/metrics/, docs/operations.md);
 * - GraphiQL for browsers on `GET /graphql` (graphiql.ts, mounted first, served offline);
 * - GraphQL over HTTP on `/graphql` (Apollo Server 5 + express 5, type-graphql resolvers), each request
 *   checked before it runs (request-checks.ts);
 * - and, through `attachments`, any transport that shares the server and path: subscriptions over
 *   graphql-ws attach here — a `WebSocketServer({ server: httpServer, path })` handling the
 *   upgrade, `createApiContext` for its per-operation context, `queryLimitsRule` for its limits — and its
 *   `close` runs before the HTTP server drains.
 * `close()` stops accepting, lets in-flight requests finish (Apollo's drain plugin), then closes
 * attachments and idle sockets. The warehouse pool belongs to the caller.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { requestTracing, tracingPlugin } from '../trace/graphql-tracing.js';
import type { GraphQLSchema } from 'graphql';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { WarehouseDb } from '../warehouse/db.js';
import { warehouseHealth } from '../warehouse/queries/health.js';
import { exampleHints } from '../warehouse/queries/example-hints.js';
import { silentLogger, type Logger } from '../log.js';
import { ErrorCode } from '../errors.js';
import { buildApiSchema } from './schema.js';
import { createApiContext, type ApiContext } from './context.js';
import { createFormatError } from './errors.js';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';
import { requestChecksPlugin } from './request-checks.js';
import { DEFAULT_MAX_PAGE_SIZE } from './paging.js';
import { graphiqlRouter } from './graphiql.js';
import { graphqlWsSubscriptions, type SubscriptionOptions } from './subscriptions/graphql-ws-transport.js';
import type { ServerAttachment } from './server-attachment.js';
import { READY_PATH, readyzResponse, warehouseReadiness, type ReadinessCheck } from '../health/readiness.js';
import { METRICS_PATH } from '../metrics/api-metrics.js';
import type { Telemetry } from '../metrics/telemetry.js';
import { createAuthenticator, type Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { authContextOf, authHookOf } from './auth.js';
import { corsMiddleware, allowsRequest, originPolicy } from './auth/origin-policy.js';
import { httpAuthentication, principalOf } from './auth/http-auth.js';
import { sessionWatch } from './auth/session-watch.js';
import type { Policy } from '../policy/policy.js';
import { createAccessRecorder } from './access/access-recorder.js';
import { accessPlugin, refusalRecorder } from './access/access-plugin.js';
import { callerLimits } from './role-limits.js';
import { rateLimiter } from './auth/rate-limit.js';
import { httpRateLimit } from './auth/http-rate-limit.js';
import { BUILTIN_POLICY } from '../policy/load-policy.js';

export type { ServerAttachment } from './server-attachment.js';


export const GRAPHQL_PATH = '/graphql';
export const AUTH_NONE_WARNING = 'authentication is off (AUDITQL_AUTH=none): anyone who can reach this port reads the whole audit trail';
export const HEALTH_PATH = '/healthz';
/** Largest request body accepted on /graphql. */
export const BODY_LIMIT = '256kb';

/**
 * How callers authenticate (docs/security.md). Always explicit: `{ mode: 'none' }` lets everyone in as
 * `role` (default admin) — what `AUDITQL_AUTH=none` does, and what tests that are not about auth use.
 */
export type ApiAuth =
  | { readonly mode: 'none'; readonly role?: string }
  | {
    readonly mode: 'verify';
    readonly authenticator: Authenticator;
    /** How often open subscriptions' API keys are checked for revocation (default 5000 ms). */
    readonly revocationCheckMs?: number;
  };

export interface ApiServerOptions {
  readonly warehouse: WarehouseDb;
  readonly auth: ApiAuth;
  /** Roles, scopes and masking (docs/security.md "Policy file"; default: the built-in roles). */
  readonly policy?: Policy;
  /** Browser origins allowed besides the server's own (CORS, WebSocket upgrades); AUDITQL_ALLOWED_ORIGINS. */
  readonly allowedOrigins?: readonly string[];
  /** Headers GraphiQL is preloaded with (the demo's development key). */
  readonly graphiqlHeaders?: Readonly<Record<string, string>>;
  readonly port: number;
  readonly host: string;
  /** Serve introspection (default true; AUDITQL_INTROSPECTION=false turns it off). */
  readonly introspection?: boolean;
  readonly log?: Logger;
  /** Hard maximum of `first` (default 500); more is AUDITQL_PAGE_TOO_LARGE. */
  readonly maxPageSize?: number;
  /** Depth and cost limits (default DEFAULT_QUERY_LIMITS). */
  readonly limits?: Partial<QueryLimits>;
  /** Transports attached to the same server and path, started before it listens. */
  readonly attachments?: readonly ServerAttachment[];
  /** Subscriptions over graphql-ws on the same server and path (docs/subscriptions.md); false: none. */
  readonly subscriptions?: SubscriptionOptions | false;
  /**
   * More HTTP routes on the same server, mounted before GraphiQL and GraphQL: e.g. the Kinesis Data Firehose
   * endpoint (`POST /ingest/firehose/:source`, docs/sources/firehose.md), which the CLI attaches when configured.
   */
  readonly routes?: readonly ((log: Logger) => express.Router)[];
  /** Serve `GET /metrics` from this telemetry and record request, DataLoader and subscription metrics in it. */
  readonly telemetry?: Telemetry;
  /** More `/readyz` checks besides the warehouse's (e.g. the sources `auditql start` ingests). */
  readonly readiness?: readonly ReadinessCheck[];
  /** Record every HTTP operation and subscription in `auditql.api_access` (docs/security.md "Access audit"; default true). */
  readonly accessAudit?: boolean;
}

export interface ApiServer {
  /** http://host:port/graphql */
  readonly url: string;
  readonly port: number;
  readonly httpServer: Server;
  readonly schema: GraphQLSchema;
  close(): Promise<void>;
}

/**
 * Errors outside GraphQL execution (a body that is not JSON or too large, a bug in a middleware): a GraphQL
 * shaped JSON answer with a stable code; 5xx are masked behind a correlation id like GraphQL errors.
 */
function httpErrorHandler(log: Logger): express.ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = err as { status?: unknown; type?: unknown };
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
    if (status < 500) {
      const message =
        e.type === 'entity.parse.failed' ? 'the request body is not valid JSON'
          : e.type === 'entity.too.large' ? `the request body is larger than ${BODY_LIMIT}`
            : 'the request could not be read';
      res.status(status).json({ errors: [{ message, extensions: { code: ErrorCode.BAD_INPUT } }] });
      return;
    }
    const correlationId = randomUUID();
    log.error(`http error ${correlationId}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json({
      errors: [{ message: `internal error (correlation id ${correlationId})`, extensions: { code: ErrorCode.INTERNAL, correlationId } }],
    });
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Subscription options whose feed also reports to the telemetry (and still to the caller's `onFeed`). */
const withFeedMetrics = (s: SubscriptionOptions | undefined, t: Telemetry): SubscriptionOptions => ({
  ...s,
  onFeed: (feed) => {
    t.api.onFeed(feed);
    s?.onFeed?.(feed);
  },
});

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const log = o.log ?? silentLogger;
  const maxPageSize = o.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE;
  const limits: QueryLimits = Object.freeze({ ...DEFAULT_QUERY_LIMITS, ...o.limits });
  const introspection = o.introspection ?? true;
  const schema = await buildApiSchema();
  const telemetry = o.telemetry;
  telemetry?.watchWarehouse(o.warehouse);
  const readinessChecks = [warehouseReadiness(o.warehouse.pool), ...(o.readiness ?? [])];
  const authenticator = o.auth.mode === 'none'
    ? createAuthenticator({ config: { none: true, anonymousRole: o.auth.role ?? 'admin', jwt: null, allowedOrigins: [] }, db: o.warehouse.db, roles: new Set() })
    : o.auth.authenticator;
  const origins = originPolicy(o.allowedOrigins ?? []);
  const watch = sessionWatch(authenticator, { revocationCheckMs: (o.auth.mode === 'verify' ? o.auth.revocationCheckMs : undefined) ?? 5000, log });
  const access = o.accessAudit === false ? null : createAccessRecorder({ db: o.warehouse.db, log });
  const policy = o.policy ?? BUILTIN_POLICY;
  const rates = rateLimiter();
  const contextFor = (p: Principal | undefined, clientAddress?: string) =>
    createApiContext({
      warehouse: o.warehouse, maxPageSize: callerLimits(policy, p?.role, { ...limits, maxPageSize }).maxPageSize, log, auth: p ? authContextOf(p) : undefined, ...(o.policy ? { policy: o.policy } : {}), clientAddress,
      ...(telemetry ? { onLoaderBatch: telemetry.api.loaderBatchSize } : {}),
    });
  const context = () => contextFor(undefined);

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);

  const attached: { close(): Promise<void> }[] = [];
  const apollo = new ApolloServer<ApiContext>({
    schema,
    introspection,
    // Without introspection, "did you mean …" suggestions would leak the schema too.
    hideSchemaDetailsFromClientErrors: !introspection,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // src/lifecycle.ts owns signals
    formatError: createFormatError(log),
    logger: { debug: log.debug, info: log.info, warn: log.warn, error: log.error },
    plugins: [
      ApolloServerPluginLandingPageDisabled(), // GraphiQL is ours and offline; no CDN landing page
      // No cache hints: audit answers are never cacheable by intermediaries. Apollo's default cache-control
      // plugin would hook every field resolver (willResolveField) to compute a policy nobody reads.
      ApolloServerPluginCacheControlDisabled(),
      requestChecksPlugin(limits),
      tracingPlugin<ApiContext>(),
      ...(telemetry ? [telemetry.api.plugin() as ApolloServerPlugin<ApiContext>] : []),
      ...(access ? [accessPlugin(access)] : []),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              watch.close();
              await Promise.all(attached.splice(0).map((a) => a.close()));
            },
          };
        },
      },
      ApolloServerPluginDrainHttpServer({ httpServer }),
    ],
  });
  await apollo.start();
  try {
    app.get(HEALTH_PATH, async (_req, res) => {
      try {
        const h = await warehouseHealth(o.warehouse.db);
        const auth = authenticator.mode === 'none' ? { auth: 'none', warning: AUTH_NONE_WARNING } : { auth: 'required' };
        res.status(h.migrated ? 200 : 503).json({ status: h.migrated ? 'ok' : 'unavailable', warehouse: h.migrated ? 'ok' : 'not migrated', ...auth });
      } catch (err) {
        log.warn(`health check: warehouse unreachable: ${(err as Error).message}`);
        res.status(503).json({ status: 'unavailable', warehouse: 'unreachable' });
      }
    });
    app.get(READY_PATH, async (_req, res) => {
      const r = await readyzResponse(readinessChecks);
      res.status(r.status).type('application/json').send(r.body);
    });
    if (telemetry) {
      app.get(METRICS_PATH, async (_req, res) => {
        const m = await telemetry.scrape();
        res.type(m.contentType).send(m.body);
      });
    }
    for (const route of o.routes ?? []) app.use(route(log));
    app.use(GRAPHQL_PATH, corsMiddleware(origins));
    app.use(graphiqlRouter({
      endpoint: GRAPHQL_PATH, hints: () => exampleHints(o.warehouse.db), ...(o.graphiqlHeaders ? { headers: o.graphiqlHeaders } : {}),
    }));
    app.use(
      GRAPHQL_PATH,
      httpAuthentication(authenticator, origins, access ? refusalRecorder(access) : undefined),
      httpRateLimit(rates, policy, access),
      express.json({ limit: BODY_LIMIT }),
      requestTracing, // after the body is read: stream callbacks would not carry the request's span
      expressMiddleware(apollo, { context: async ({ req, res }) => contextFor(principalOf(res), req.socket.remoteAddress) }),
    );
    // Anything else answers in JSON too: express's default pages would show stack traces outside production.
    app.use((_req: express.Request, res: express.Response) => {
      res.status(404).json({ errors: [{ message: `not found: GraphQL is at ${GRAPHQL_PATH}`, extensions: { code: ErrorCode.BAD_INPUT } }] });
    });
    app.use(httpErrorHandler(log));

    const subscriptionOptions: SubscriptionOptions = {
      auth: authHookOf(authenticator),
      verifyUpgrade: (req) => allowsRequest(origins, req),
      watch: (who, end) => watch.watch(who, end),
      rateLimiter: rates,
      ...(access ? { recordAccess: (e) => access.record(e) } : {}),
      ...o.subscriptions,
    };
    const ws = o.subscriptions === false ? []
      : [graphqlWsSubscriptions(o.warehouse, telemetry ? withFeedMetrics(subscriptionOptions, telemetry) : subscriptionOptions)];
    const transports = [...ws, ...(o.attachments ?? [])];
    for (const attach of transports) attached.push(await attach({ httpServer, path: GRAPHQL_PATH, schema, context, limits, log }));
    const address = await listen(httpServer, o.port, o.host);
    const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${hostInUrl}:${address.port}${GRAPHQL_PATH}`,
      port: address.port,
      httpServer,
      schema,
      close() {
        // the access audit is written once no request is left to record
        closing ??= apollo.stop().then(() => access?.close());
        return closing;
      },
    };
  } catch (err) {
    await Promise.all(attached.map((a) => a.close().catch(() => {})));
    await apollo.stop().catch(() => {});
    throw err;
  }
}
