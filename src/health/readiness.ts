/**
 * Readiness (docs/operations.md "Probes"): `GET /readyz` answers 200 only when every check passes — the
 * warehouse answers and its migrations are current, and (in processes that ingest) every source runs —
 * else 503 with the reason of each failing check. A check that only degrades (the forwarders: the API and
 * ingest never wait on them) shows its reason but keeps the answer 200, status "degraded". `GET /healthz`
 * stays liveness. Each check is bounded by a timeout, so a hung warehouse makes the probe fail, not hang.
 */
import type pg from 'pg';
import { pendingMigrations } from '../warehouse/migrate.js';
import { withTimeout } from '../metrics/registry.js';

export interface ReadinessCheck {
  readonly name: string;
  /** A failure here is reported, status "degraded", but does not make the process unready. */
  readonly degradesOnly?: boolean;
  /** null when ready, else why not (for operators: no secrets, no SQL). */
  check(): Promise<string | null>;
}

export interface Readiness {
  readonly ready: boolean;
  /** Ready, but a check that only degrades failed. */
  readonly degraded: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

export const READY_PATH = '/readyz';
const CHECK_TIMEOUT_MS = 2000;

/** The warehouse answers within the timeout and has every migration this build ships. */
export function warehouseReadiness(pool: pg.Pool): ReadinessCheck {
  return {
    name: 'warehouse',
    check: async () => {
      let pending: readonly string[];
      try {
        pending = await withTimeout(CHECK_TIMEOUT_MS, pendingMigrations(pool));
      } catch {
        return 'unreachable';
      }
      return pending.length === 0 ? null : `migrations pending: ${pending.join(', ')}`;
    },
  };
}

export async function readiness(checks: readonly ReadinessCheck[]): Promise<Readiness> {
  const results = await Promise.all(checks.map(async (c) => {
    try {
      return [c.name, (await withTimeout(CHECK_TIMEOUT_MS, c.check())) ?? 'ok'] as const;
    } catch {
      return [c.name, 'check failed'] as const;
    }
  }));
  const failing = checks.filter((_, i) => results[i]![1] !== 'ok');
  return {
    ready: failing.every((c) => c.degradesOnly),
    degraded: failing.length > 0 && failing.every((c) => c.degradesOnly),
    checks: Object.fromEntries(results),
  };
}

/** The `/readyz` answer: status code and JSON body. */
export async function readyzResponse(checks: readonly ReadinessCheck[]): Promise<{ status: number; body: string }> {
  const r = await readiness(checks);
  const status = !r.ready ? 'not ready' : r.degraded ? 'degraded' : 'ready';
  return { status: r.ready ? 200 : 503, body: JSON.stringify({ status, checks: r.checks }) };
}
