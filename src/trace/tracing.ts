/**
 * OpenTelemetry traces (docs/operations.md "Traces"), off unless an OTLP endpoint is configured
 * (`AUDITQL_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`). Off costs nothing: no OpenTelemetry module is
 * loaded, and every call site checks `tracing().enabled` — one property read — before doing anything.
 * On, `startTracing` imports the SDK and the OTLP/HTTP exporter and installs a process-wide tracer.
 *
 * The current span follows the async flow in an AsyncLocalStorage of ours (no context-manager package): a
 * span started by `span()` is the parent of every span started inside its function. The store is a mutable
 * holder so a request's hooks (parse, validate, execute) can make the execution the parent of the SQL it
 * runs. Attributes are bounded names only: operation names, source names, statement names — never row
 * values, literals or secrets.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

export interface SpanHandle {
  setAttributes(attributes: SpanAttributes): void;
  /** Mark the span failed (the error's class only: messages may hold values). */
  fail(error: unknown): void;
  end(endTimeMs?: number): void;
}

/** Where the current span lives while a request or a batch runs. */
export interface SpanHolder {
  current: SpanHandle | null;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Start a span, child of the current one (or of `parent`); end it yourself. */
  start(name: string, attributes?: SpanAttributes, o?: { readonly parent?: SpanHandle | null; readonly startTimeMs?: number }): SpanHandle;
  /** Run `fn` inside a new child span, ended (and failed on a throw) when `fn` settles. */
  span<T>(name: string, fn: () => Promise<T>, attributes?: SpanAttributes): Promise<T>;
  /** Run `fn` with `span` as the current span. */
  within<T>(span: SpanHandle, fn: () => T): T;
  /** The holder of the current span (null outside any). */
  holder(): SpanHolder | null;
  /** Export what is buffered and stop. */
  shutdown(): Promise<void>;
  /** Export what is buffered now. */
  flush(): Promise<void>;
}

const NOOP_SPAN: SpanHandle = Object.freeze({ setAttributes() {}, fail() {}, end() {} });

const OFF: Tracing = Object.freeze({
  enabled: false,
  start: () => NOOP_SPAN,
  span: <T>(_name: string, fn: () => Promise<T>) => fn(),
  within: <T>(_span: SpanHandle, fn: () => T) => fn(),
  holder: () => null,
  shutdown: async () => {},
  flush: async () => {},
});

let active: Tracing = OFF;

/** The process's tracing: `OFF` until `startTracing` ran with an endpoint. */
export const tracing = (): Tracing => active;

/** The configured OTLP/HTTP base endpoint, if any (the traces path `/v1/traces` is added to it). */
export function otlpEndpoint(env: NodeJS.ProcessEnv = process.env): string | null {
  const v = (env.AUDITQL_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim();
  return v === '' ? null : v;
}

/**
 * Turn tracing on when an endpoint is configured (idempotent). The SDK is imported here and only here.
 * `serviceName` defaults to OTEL_SERVICE_NAME, else `auditql`.
 */
export async function startTracing(o: { readonly endpoint?: string | null; readonly serviceName?: string } = {}): Promise<Tracing> {
  const endpoint = o.endpoint === undefined ? otlpEndpoint() : o.endpoint;
  if (active.enabled || endpoint === null) return active;
  const { otelTracing } = await import('./otel-tracing.js');
  active = await otelTracing({
    url: `${endpoint.replace(/\/+$/, '')}/v1/traces`,
    serviceName: o.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'auditql',
    store: new AsyncLocalStorage<SpanHolder>(),
  });
  return active;
}

/** Tracing off again, after exporting what is buffered (tests, and the end of a command). */
export async function stopTracing(): Promise<void> {
  const t = active;
  active = OFF;
  await t.shutdown();
}
