/**
 * `--topic PATTERN=FORMAT` (docs/sources/kafka.md "Topics"): which topics to consume, and which format
 * each one carries.
 *
 * - PATTERN is a literal topic name (`dbserver1.inventory.customers`), or a regular expression between
 *   slashes (`/dbserver1\.inventory\..+/`, optionally with the `i` flag: `/orders.+/i`).
 * - A regular expression must match the **whole** topic name, as Kafka's own pattern subscription does
 *   (the Java consumer tests `Pattern.matcher(topic).matches()`), not merely a part of it.
 * - A regular expression never selects an internal topic (a name starting with `__`, e.g.
 *   `__consumer_offsets`); name one literally to read it.
 * - When several routes match a topic, the first one given decides its format.
 *
 * Only topics that exist are subscribed to (the consumer does not auto-create topics, and kafkajs fails a
 * subscription to a missing one). Topics are matched against the cluster's topic list when the consumer
 * starts (kafkajs resolves pattern subscriptions once, at subscribe time); the source re-lists them
 * periodically and re-subscribes when a new topic matches (kafka-source.ts).
 */
import { AuditqlError, ErrorCode } from '../../errors.js';

/** Kafka's legal topic names (`org.apache.kafka.common.internals.Topic`: [a-zA-Z0-9._-], at most 249). */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const REGEX_SPEC = /^\/(.+)\/(i?)$/s;

export interface TopicRoute {
  /** As given, for messages. */
  readonly spec: string;
  /** The format name the route asks for (`debezium`, `maxwell`, … or `auto`). */
  readonly format: string;
  /** Set for a literal topic name. */
  readonly topic?: string;
  /** Set for a `/regex/`: anchored to the whole name. */
  readonly regex?: RegExp;
}

export function parseTopicRoutes(specs: readonly { readonly pattern: string; readonly format: string }[]): readonly TopicRoute[] {
  return Object.freeze(
    specs.map(({ pattern, format }) => {
      const spec = `${pattern}=${format}`;
      const m = REGEX_SPEC.exec(pattern);
      if (m) {
        let regex: RegExp;
        try {
          regex = new RegExp(`^(?:${m[1]})$`, m[2]);
        } catch (err) {
          throw new AuditqlError(ErrorCode.BAD_CONFIG, `--topic ${spec}: not a valid regular expression (${(err as Error).message})`);
        }
        return Object.freeze({ spec, format, regex });
      }
      if (!TOPIC_NAME.test(pattern)) {
        throw new AuditqlError(
          ErrorCode.BAD_CONFIG,
          `--topic ${spec}: ${JSON.stringify(pattern)} is not a Kafka topic name (letters, digits, '.', '_', '-'); ` +
            'write a regular expression between slashes, e.g. /dbserver1\\..*/',
        );
      }
      return Object.freeze({ spec, format, topic: pattern });
    }),
  );
}

const matches = (route: TopicRoute, topic: string): boolean =>
  route.topic !== undefined ? route.topic === topic : !topic.startsWith('__') && route.regex!.test(topic);

/** The route that decides a topic's format: the first that matches. */
export function routeFor(routes: readonly TopicRoute[], topic: string): TopicRoute | undefined {
  return routes.find((r) => matches(r, topic));
}

export interface TopicSelection {
  /** Topics to subscribe to, sorted. */
  readonly topics: readonly string[];
  /** Routes that matched no existing topic (yet). */
  readonly unmatched: readonly TopicRoute[];
}

/** Which of the cluster's existing topics the routes select. */
export function selectTopics(routes: readonly TopicRoute[], existing: readonly string[]): TopicSelection {
  const selected = new Set<string>();
  const unmatched: TopicRoute[] = [];
  for (const route of routes) {
    const hits = existing.filter((t) => matches(route, t));
    if (hits.length === 0) unmatched.push(route);
    for (const t of hits) selected.add(t);
  }
  return { topics: [...selected].sort(), unmatched };
}
