/**
 * Tracing off costs nothing (docs/operations.md "Traces"): only src/trace/otel-tracing.ts imports
 * OpenTelemetry, and only tracing.ts's `startTracing` imports it, dynamically; off, every hook is inert.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { otlpEndpoint, tracing } from '../../src/trace/tracing.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));

describe('tracing off', () => {
  it('loads no OpenTelemetry module unless started', () => {
    const importing = files(SRC).filter((f) => /from '@opentelemetry\//.test(readFileSync(f, 'utf8'))).map((f) => f.slice(SRC.length));
    expect(importing).toEqual(['trace/otel-tracing.ts']);
    const loaders = files(SRC).filter((f) => /otel-tracing\.js/.test(readFileSync(f, 'utf8'))).map((f) => f.slice(SRC.length));
    expect(loaders).toEqual(['trace/tracing.ts']);
    expect(readFileSync(join(SRC, 'trace/tracing.ts'), 'utf8')).toMatch(/await import\('\.\/otel-tracing\.js'\)/);
  });

  it('is off without an endpoint, and its hooks run the work as is', async () => {
    expect(otlpEndpoint({})).toBeNull();
    expect(otlpEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe('http://c:4318');
    expect(otlpEndpoint({ AUDITQL_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe('http://a:4318');
    const t = tracing();
    expect(t.enabled).toBe(false);
    expect(await t.span('x', async () => 42)).toBe(42);
    expect(t.holder()).toBeNull();
  });
});
