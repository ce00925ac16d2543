/**
 * `auditql serve` (DESIGN.md "CLI contract"): migrate, then GraphQL over HTTP at `/graphql` (GraphiQL for
 * browsers on the same path) until SIGINT/SIGTERM, which drain in-flight requests before exiting.
 */
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { installSignalHandlers, onShutdown } from '../../lifecycle.js';
import { connectWarehouse, type Connected } from '../../warehouse/connect.js';
import { startApiServer, type ApiServer } from '../../graphql/server.js';

export interface Serving {
  readonly connected: Connected;
  readonly api: ApiServer;
}

/**
 * Connect (and migrate) the warehouse and start the API, registering shutdown hooks: the server closes
 * first, then the warehouse. Composable: `start` builds on it.
 */
export async function startServing(env: EnvConfig, log: Logger): Promise<Serving> {
  const connected = await connectWarehouse(env, { log: log.info, applicationName: 'auditql-api' });
  onShutdown(() => connected.close());
  const api = await startApiServer({
    warehouse: connected.warehouse,
    port: env.port,
    host: env.host,
    introspection: env.introspection,
    log,
  });
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
