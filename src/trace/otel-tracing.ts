/**
 * The OpenTelemetry side of tracing.ts, imported only when an OTLP endpoint is configured: a tracer
 * provider of its own (never the global one, so an embedder's SDK is left alone), spans batched to the
 * OTLP/HTTP exporter (JSON; OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_* and the like are read by the SDK), and
 * the current span kept in tracing.ts's AsyncLocalStorage.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { context, trace, SpanStatusCode, ROOT_CONTEXT, type Span } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { SpanAttributes, SpanHandle, SpanHolder, Tracing } from './tracing.js';

class OtelSpan implements SpanHandle {
  constructor(readonly span: Span) {}
  setAttributes(attributes: SpanAttributes): void {
    this.span.setAttributes(attributes);
  }
  fail(error: unknown): void {
    const kind = error instanceof Error ? ((error as { code?: unknown }).code ?? error.name) : 'error';
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: String(kind).slice(0, 64) });
  }
  end(endTimeMs?: number): void {
    this.span.end(endTimeMs);
  }
}

export async function otelTracing(o: { readonly url: string; readonly serviceName: string; readonly store: AsyncLocalStorage<SpanHolder> }): Promise<Tracing> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': o.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: o.url }))],
  });
  const tracer = provider.getTracer('auditql');
  const { store } = o;
  const start: Tracing['start'] = (name, attributes, s) => {
    const parent = s?.parent === undefined ? store.getStore()?.current ?? null : s.parent;
    const ctx = parent instanceof OtelSpan ? trace.setSpan(context.active(), parent.span) : ROOT_CONTEXT;
    return new OtelSpan(tracer.startSpan(name, { ...(attributes ? { attributes } : {}), ...(s?.startTimeMs !== undefined ? { startTime: s.startTimeMs } : {}) }, ctx));
  };
  return {
    enabled: true,
    start,
    async span(name, fn, attributes) {
      const s = start(name, attributes);
      try {
        return await store.run({ current: s }, fn);
      } catch (err) {
        s.fail(err);
        throw err;
      } finally {
        s.end();
      }
    },
    within: (s, fn) => store.run({ current: s }, fn),
    holder: () => store.getStore() ?? null,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
