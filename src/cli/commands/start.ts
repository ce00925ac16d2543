/**
 * `auditql start` (what `npm start` runs): migrate and serve. The built-in demo source and the configured
 * live sources join here with issue #5 — each as one more step between `startServing` and waiting.
 */
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { installSignalHandlers } from '../../lifecycle.js';
import { startServing, untilShutdown } from './serve.js';

export async function startCommand(env: EnvConfig, log: Logger): Promise<number> {
  installSignalHandlers();
  const { api } = await startServing(env, log);
  log.info(`GraphQL API at ${api.url} (GraphiQL: open it in a browser)`);
  return untilShutdown();
}
