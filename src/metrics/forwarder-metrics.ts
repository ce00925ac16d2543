/**
 * Forwarder metrics (docs/operations.md "Forwarders"), on the process that runs the forwarder (`auditql
 * forward` with AUDITQL_METRICS_PORT, `auditql start` on the API's /metrics): events acknowledged,
 * retries, destination errors by stable code (docs/siem.md "Failures"), the last acknowledgement, and the
 * lag in events and seconds, read from the warehouse on each scrape with a timeout (a warehouse that does
 * not answer leaves the last values; a scrape never hangs). Labels: `forwarder` (operator-configured names)
 * and `code` (a bounded set) — never event data. Its readiness check (docs/operations.md "Probes") names
 * each forwarder that is failing (a step retried since, with its code) or has stopped: it degrades
 * readiness only, since the API and ingest never wait on a forwarder.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Warehouse } from '../warehouse/tables.js';
import { forwarderLags, type ForwarderLag } from '../warehouse/queries/forwarders.js';
import type { ForwarderObserver } from '../siem/forward/forwarder.js';
import { withTimeout } from './registry.js';
import type { ReadinessCheck } from '../health/readiness.js';

/** A forwarder's health as its retries tell it: failing since when, with which code; or stopped. */
interface ForwarderHealth {
  failing: { readonly code: string; readonly sinceMs: number } | null;
  stopped: boolean;
}

const SCRAPE_TIMEOUT_MS = 2000;

export class ForwarderMetrics {
  private readonly sent: Counter<'forwarder'>;
  private readonly retries: Counter<'forwarder'>;
  private readonly errors: Counter<'forwarder' | 'code'>;
  private readonly lastAck: Gauge<'forwarder'>;
  /** The forwarders this process runs, and the warehouse each reads. */
  private readonly watched = new Map<string, Kysely<Warehouse>>();
  private pending: Promise<Map<string, ForwarderLag>> | null = null;
  private readonly health = new Map<string, ForwarderHealth>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.sent = new Counter({ name: 'auditql_forwarder_events_sent_total', help: 'Events the destination acknowledged.', labelNames: ['forwarder'], registers });
    this.retries = new Counter({ name: 'auditql_forwarder_retries_total', help: 'Failed steps (a send, or a warehouse read or cursor update) waited out and tried again.', labelNames: ['forwarder'], registers });
    this.errors = new Counter({
      name: 'auditql_forwarder_destination_errors_total', help: 'Failed sends, by stable code (HTTP_<status>, NETWORK, ACK_TIMEOUT, KAFKA_*, FS_*, ERROR).',
      labelNames: ['forwarder', 'code'], registers,
    });
    this.lastAck = new Gauge({ name: 'auditql_forwarder_last_ack_timestamp_seconds', help: 'Unix time the destination last acknowledged a batch.', labelNames: ['forwarder'], registers });
    const lags = () => this.lags();
    for (const [unit, help, value] of [
      ['events', 'Stored events above the forwarder\'s cursor (matching its filter or not; at most 1,000,000 per table).', (l: ForwarderLag) => l.lagEvents],
      ['seconds', 'How long the oldest event above the forwarder\'s cursor has been stored; 0 when caught up.', (l: ForwarderLag) => l.lagSeconds],
    ] as const) {
      new Gauge({
        name: `auditql_forwarder_lag_${unit}`, help, labelNames: ['forwarder'], registers,
        async collect() {
          for (const [name, l] of await lags()) this.set({ forwarder: name }, value(l));
        },
      });
    }
  }

  /** One warehouse read per scrape, shared by the lag gauges; a failed or slow read keeps the last values. */
  private lags(): Promise<Map<string, ForwarderLag>> {
    this.pending ??= (async () => {
      const out = new Map<string, ForwarderLag>();
      const dbs = new Set(this.watched.values());
      for (const db of dbs) {
        const rows = await withTimeout(SCRAPE_TIMEOUT_MS, forwarderLags(db)).catch(() => []);
        for (const r of rows) if (this.watched.get(r.name) === db) out.set(r.name, r);
      }
      return out;
    })().finally(() => setImmediate(() => { this.pending = null; }));
    return this.pending;
  }

  /** The observer of one forwarder (ForwarderOptions.observer); its lag is read from `db`. */
  observer(forwarder: string, db: Kysely<Warehouse>): ForwarderObserver {
    this.watched.set(forwarder, db);
    this.sent.inc({ forwarder }, 0);
    this.retries.inc({ forwarder }, 0);
    const h: ForwarderHealth = { failing: null, stopped: false };
    this.health.set(forwarder, h);
    return {
      acked: (events) => {
        this.sent.inc({ forwarder }, events);
        this.lastAck.set({ forwarder }, Date.now() / 1000);
        h.failing = null;
      },
      failed: (code, destination) => {
        this.retries.inc({ forwarder });
        if (destination) this.errors.inc({ forwarder, code });
        h.failing = { code, sinceMs: h.failing?.sinceMs ?? Date.now() };
      },
      recovered: () => { h.failing = null; },
      ended: () => { h.stopped = true; },
    };
  }

  /** `forwarders`: "ok", else each failing or stopped forwarder with its code, for /readyz; degrades only. */
  readiness(): ReadinessCheck {
    return {
      name: 'forwarders',
      degradesOnly: true,
      check: async () => {
        const now = Date.now();
        const bad = [...this.health].flatMap(([name, h]) => {
          if (h.stopped) return [`${name}: stopped`];
          if (h.failing) return [`${name}: failing for ${Math.round((now - h.failing.sinceMs) / 1000)} s (${h.failing.code})`];
          return [];
        });
        return bad.length === 0 ? null : bad.join('; ');
      },
    };
  }
}
