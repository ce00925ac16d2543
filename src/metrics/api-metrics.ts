/**
 * API metrics (docs/operations.md "API"): GraphQL request duration by operation and outcome, DataLoader
 * batch sizes, and the change feed behind subscriptions (open subscriptions, groups, slow-subscriber
 * closes, detaches, rows read). `GET /metrics` on the API server serves the whole process registry.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ChangeFeed } from '../feed/change-feed.js';
import { operationLabeler } from './operation-label.js';

export const METRICS_PATH = '/metrics';

/** The `le` buckets of auditql_api_subscriptions_by_backlog (events waiting). */
const BACKLOG_BUCKETS = [0, 10, 100, 500, 1000, 5000] as const;

/** A counter that reports a number kept elsewhere (the feed's own stats), read at scrape time. */
function countOf(registry: Registry, name: string, help: string, value: () => number): void {
  new Counter({
    name, help, registers: [registry],
    collect() { this.reset(); this.inc(value()); },
  });
}

export class ApiMetrics {
  readonly registry: Registry;
  private readonly duration: Histogram<'operation' | 'type' | 'outcome'>;
  private readonly loaderBatch: Histogram<'loader'>;
  private readonly feeds = new Set<ChangeFeed>();
  private readonly label = operationLabeler();

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    this.duration = new Histogram({
      name: 'auditql_api_request_duration_seconds',
      help: 'GraphQL over HTTP: time from request to response, by operation name (bounded), type and outcome (ok, error).',
      labelNames: ['operation', 'type', 'outcome'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.loaderBatch = new Histogram({
      name: 'auditql_api_dataloader_batch_size', help: 'Keys per DataLoader batch (one warehouse statement each).',
      labelNames: ['loader'], registers, buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    });
    const sum = (f: (feed: ChangeFeed) => number) => (): number => [...this.feeds].reduce((n, feed) => n + f(feed), 0);
    const feedGauge = (name: string, help: string, f: (feed: ChangeFeed) => number) =>
      new Gauge({ name, help, registers, collect() { this.set(sum(f)()); } });
    feedGauge('auditql_api_subscriptions_open', 'Subscriptions open over graphql-ws.', (f) => f.size.subscriptions);
    feedGauge('auditql_api_subscription_groups', 'Distinct live subscription filters read together from the feed.', (f) => f.size.groups);
    // Per-subscription backlog, sampled at scrape: no subscription id as a label, only its distribution.
    const feeds = this.feeds;
    const backlogs = () => [...feeds].flatMap((f) => f.backlogs());
    new Gauge({
      name: 'auditql_api_subscription_backlog_max_events', help: 'Events waiting for the most backlogged subscription (read for it, not yet written to its socket).', registers,
      collect() { this.set(backlogs().reduce((m, n) => Math.max(m, n), 0)); },
    });
    new Gauge({
      name: 'auditql_api_subscription_backlog_events', help: 'Events waiting for all subscriptions together.', registers,
      collect() { this.set(backlogs().reduce((m, n) => m + n, 0)); },
    });
    new Gauge({
      name: 'auditql_api_subscriptions_by_backlog', labelNames: ['le'], registers,
      help: 'Subscriptions with at most `le` events waiting, sampled at scrape (cumulative, like histogram buckets).',
      collect() {
        const now = backlogs();
        for (const le of BACKLOG_BUCKETS) this.set({ le: String(le) }, now.filter((n) => n <= le).length);
        this.set({ le: '+Inf' }, now.length);
      },
    });
    new Gauge({
      name: 'auditql_api_subscription_queue_limit_events', help: 'Events a subscription may have waiting before it catches up from the warehouse instead.', registers,
      collect() { this.set([...feeds].reduce((m, f) => Math.max(m, f.queueLimit), 0)); },
    });
    countOf(registry, 'auditql_api_slow_subscriber_closes_total', 'Subscribers closed as too slow (AUDITQL_SUBSCRIBER_TOO_SLOW).', sum((f) => f.stats.dropped));
    countOf(registry, 'auditql_api_subscriber_detaches_total', 'Live subscribers whose queue filled and who fell back to catching up from the warehouse.', sum((f) => f.stats.detached));
    countOf(registry, 'auditql_api_feed_rows_read_total', 'Rows the change feed read for subscriptions.', sum((f) => f.stats.rowsRead));
    countOf(registry, 'auditql_api_feed_notifications_total', 'Feed notifications (NOTIFY) received from writers.', sum((f) => f.stats.notifications));
  }

  /** Give to `subscriptions.onFeed`: the feed's stats are read at scrape time. */
  readonly onFeed = (feed: ChangeFeed): void => {
    this.feeds.add(feed);
  };

  /** DataLoader batch observer (src/graphql/loaders.ts). */
  readonly loaderBatchSize = (loader: string, keys: number): void => {
    this.loaderBatch.observe({ loader }, keys);
  };

  /** The Apollo plugin timing each HTTP GraphQL request. */
  plugin(): ApolloServerPlugin {
    const duration = this.duration;
    const label = this.label;
    return {
      async requestDidStart() {
        const start = process.hrtime.bigint();
        let operation: string | null | undefined;
        let type = 'unknown';
        return {
          async didResolveOperation(rc) {
            operation = rc.operationName;
            type = rc.operation?.operation ?? 'unknown';
          },
          async willSendResponse(rc) {
            const body = rc.response.body;
            const errors = body.kind === 'single' ? body.singleResult.errors : undefined;
            const seconds = Number(process.hrtime.bigint() - start) / 1e9;
            duration.observe({ operation: label(operation ?? rc.request.operationName), type, outcome: errors?.length ? 'error' : 'ok' }, seconds);
          },
        };
      },
    };
  }
}
