/**
 * One Prometheus registry per process (docs/operations.md "Metrics"), never prom-client's global default:
 * tests and embedded uses build their own and nothing collides. `processMetrics` adds the standard process
 * and Node.js collectors (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds` …) to it.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export function createMetricsRegistry(o: { readonly processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (o.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Run a collector's query, but give up after `ms`: a slow warehouse must not hang the scrape. */
export async function withTimeout<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
