/**
 * `--server NAME`: one logical server identity for every event of a source. Formats name servers
 * differently (Debezium `source.name`, Maxwell `server_id`, DAS cluster id, pgoutput system identifier,
 * pgAudit nothing), and attribution only joins evidence that names the same server; giving each ingest of
 * one database server the same `--server` is how they meet (docs/attribution.md "Server identity").
 * Applied after decoding, so decoders stay pure. What the record itself said is kept in `extra.sourceServer`
 * (changes and activity) when it was something else.
 */
import type { AuditEvent } from '../model/events.js';
import type { JsonRow } from '../model/json.js';

const keep = (extra: JsonRow, was: string | null, server: string): JsonRow =>
  was === null || was === server ? extra : { ...extra, sourceServer: was };

/** The event with its server identity replaced (a new frozen event; the original is not touched). */
export function withServer<E extends AuditEvent>(event: E, server: string): E {
  const e: AuditEvent = event;
  switch (e.kind) {
    case 'change':
      return Object.freeze({ ...e, origin: Object.freeze({ ...e.origin, server }), extra: keep(e.extra, e.origin.server, server) }) as E;
    case 'activity':
      return Object.freeze({ ...e, server, extra: keep(e.extra, e.server, server) }) as E;
    default:
      return Object.freeze({ ...e, server }) as E;
  }
}
