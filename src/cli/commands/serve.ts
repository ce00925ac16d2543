/**
 * `auditql serve` (docs/configuration.md "Commands"): migrate, then GraphQL over HTTP at `/graphql` (GraphiQL for
 * browsers on the same path) until SIGINT/SIGTERM, which drain in-flight requests before exiting.
 */
import type { EnvConfig } from '../../config/env.js';
import { childLogger, type Logger } from '../../log.js';
import { processTelemetry } from '../../metrics/telemetry.js';
import { installSignalHandlers, onShutdown } from '../../lifecycle.js';
import { connectWarehouse, type Connected } from '../../warehouse/connect.js';
import { startApiServer, type ApiServer } from '../../graphql/server.js';
import { loadFirehoseConfig, type FirehoseConfig } from '../../config/firehose.js';
import { loadDecoder } from '../../decoders/registry.js';
import { firehoseRouter, type FirehoseRouterOptions } from '../../sources/firehose/firehose-router.js';
import { deliveryStore } from '../../ingest/deliveries.js';
import { warehouseSink } from '../../ingest/run.js';
import type { WarehouseDb } from '../../warehouse/db.js';
import { withKeyProviders } from './key-providers.js';
import { publicKeyRouter } from '../../graphql/ledger/public-key-route.js';
import { ledgerConfig } from '../../config/ledger.js';
import { loadAuthConfig, type AuthConfig } from '../../config/auth.js';
import { loadPolicy } from '../../policy/load-policy.js';
import type { Policy } from '../../policy/policy.js';
import { createAuthenticator } from '../../auth/authenticator.js';
import { anyLiveApiKey } from '../../warehouse/queries/api-keys.js';
import { ensureDevAdminKey } from '../../auth/dev-key.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { AUTH_NONE_WARNING, type ApiAuth } from '../../graphql/server.js';

export const NO_AUTH_CONFIGURED =
  'no authentication is configured, so the API would serve the audit trail to anyone: set AUDITQL_JWKS_URL or AUDITQL_JWT_PUBLIC_KEY, ' +
  'create an API key (auditql keys create --role admin --name NAME), or set AUDITQL_AUTH=none to serve everyone anonymously';

export interface Serving {
  readonly connected: Connected;
  readonly api: ApiServer;
}

/** The Firehose endpoint's sources, ready to serve: decoders loaded, the DAS KMS key provider injected. */
async function firehoseOptions(config: FirehoseConfig, warehouse: WarehouseDb): Promise<Omit<FirehoseRouterOptions, 'log'>> {
  const endpoints = await Promise.all(config.sources.map(async (s) => ({
    name: s.name, accessKey: s.accessKey, decoder: await loadDecoder(s.format), ctx: withKeyProviders(s.ctx, [s.format]),
  })));
  return { endpoints, store: deliveryStore(warehouseSink(warehouse.pool)), maxBodyBytes: config.maxBodyBytes, maxConcurrentDeliveries: config.concurrency };
}

/**
 * Secure by default (docs/security.md): credentials are required unless AUDITQL_AUTH=none, and a server with
 * no way in (no JWT keys, no live API key) refuses to start rather than look broken.
 */
async function apiAuth(config: AuthConfig, policy: Policy, warehouse: WarehouseDb, log: Logger): Promise<ApiAuth> {
  if (config.none) {
    if (!policy.roles.has(config.anonymousRole)) throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_ANONYMOUS_ROLE=${JSON.stringify(config.anonymousRole)}: not a role of the policy`);
    log.warn(AUTH_NONE_WARNING);
    return { mode: 'none', role: config.anonymousRole };
  }
  if (!config.jwt && !(await anyLiveApiKey(warehouse.db))) throw new AuditqlError(ErrorCode.BAD_CONFIG, NO_AUTH_CONFIGURED);
  return { mode: 'verify', authenticator: createAuthenticator({ config, db: warehouse.db, roles: new Set(policy.roles.keys()) }) };
}

/**
 * Connect (and migrate) the warehouse and start the API, registering shutdown hooks: the server closes
 * first, then the warehouse. Composable: `start` builds on it; with `devAdminKey` (the embedded demo) a
 * development admin key is created or reused, printed, and preloaded in GraphiQL.
 */
export async function startServing(env: EnvConfig, log: Logger, o: { devAdminKey?: boolean } = {}): Promise<Serving> {
  const firehose = loadFirehoseConfig(); // fails fast, before the warehouse starts
  for (const w of firehose.warnings) log.warn(w);
  const authConfig = loadAuthConfig();
  const policy = loadPolicy();
  const connected = await connectWarehouse(env, { log: log.info, applicationName: 'auditql-api' });
  onShutdown(() => connected.close());
  let devKey: string | null = null;
  if (o.devAdminKey && connected.embedded && !authConfig.none) {
    const k = await ensureDevAdminKey(connected.warehouse.db, env.dataDir);
    devKey = k.key;
    log.info(`development admin key (${k.created ? 'created' : 'reused'}; kept in ${env.dataDir}/dev-admin-key): ${k.key}`);
  }
  const auth = await apiAuth(authConfig, policy, connected.warehouse, log);
  const firehoseRoute = firehose.sources.length > 0 ? await firehoseOptions(firehose, connected.warehouse) : null;
  const api = await startApiServer({
    warehouse: connected.warehouse,
    auth,
    policy,
    allowedOrigins: authConfig.allowedOrigins,
    ...(devKey ? { graphiqlHeaders: { Authorization: `Bearer ${devKey}` } } : {}),
    port: env.port,
    host: env.host,
    introspection: env.introspection,
    log: childLogger(log, { component: 'api' }),
    telemetry: processTelemetry(),
    // `auditql start` ingests in this process: it is ready only while its sources run; its forwarders
    // (AUDITQL_FORWARD) failing or stopped show in the detail but only degrade it.
    readiness: [processTelemetry().ingest.readiness(), processTelemetry().forward.readiness()],
    routes: [
      () => publicKeyRouter(ledgerConfig().signer),
      ...(firehoseRoute ? [(routeLog: Logger) => firehoseRouter({ ...firehoseRoute, log: routeLog })] : []),
    ],
  });
  if (devKey) {
    log.info(`call the API with it: curl -H 'Authorization: Bearer ${devKey}' -H 'content-type: application/json' -d '{"query":"{ changes(first: 1) { nodes { table operation } } }"}' ${api.url}`);
  }
  if (firehose.sources.length > 0) {
    log.info(`Firehose HTTP endpoint: POST ${api.url.replace(/\/graphql$/, '')}/ingest/firehose/{${firehose.sources.map((s) => s.name).join(',')}}`);
  }
  onShutdown(async () => {
    log.info('shutting down: draining in-flight requests');
    await api.close();
  });
  return { connected, api };
}

/** Resolves when the process is asked to stop (the signal handlers then run the shutdown hooks and exit). */
export const untilShutdown = (): Promise<never> => new Promise<never>(() => {});

export async function serveCommand(env: EnvConfig, log: Logger): Promise<number> {
  installSignalHandlers();
  const { api } = await startServing(env, log);
  log.info(`GraphQL API at ${api.url} (GraphiQL: open it in a browser)`);
  return untilShutdown();
}
