/**
 * docker/monitoring stays true to docs/operations.md: every metric the docs list is on the Grafana
 * dashboard, and every metric the dashboard or the alert rules query is one the docs list.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(`${ROOT}${p}`, 'utf8');
const documented = new Set([...read('docs/operations.md').matchAll(/^\| `(auditql_[a-z_]+)`/gm)].map((m) => m[1]!));
const dashboard = JSON.parse(read('docker/monitoring/grafana/dashboards/auditql.json')) as { panels: { targets: { expr: string }[] }[] };
const queried = (text: string) => new Set([...text.matchAll(/\b(auditql_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!));
const dashboardMetrics = queried(dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n'));
const alertMetrics = queried(read('docker/monitoring/alerts.yml').split('\n').filter((l) => l.trim().startsWith('expr:')).join('\n'));

describe('docker/monitoring', () => {
  it('the dashboard shows every documented metric', () => {
    expect(documented.size).toBeGreaterThan(30);
    expect([...documented].filter((m) => !dashboardMetrics.has(m))).toEqual([]);
  });

  it('the dashboard and the alerts query only documented metrics', () => {
    expect([...dashboardMetrics].filter((m) => !documented.has(m))).toEqual([]);
    expect([...alertMetrics].filter((m) => !documented.has(m))).toEqual([]);
  });
});
