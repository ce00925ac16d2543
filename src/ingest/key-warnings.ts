/**
 * A summary observer for the composition root (run.ts): warns once per table whose changes are keyed by
 * their whole row image (summary.ts `rowImageKeys`). Such a record carries no key the decoder could use
 * (e.g. a Debezium record without schema and without Kafka key), so an entity's insert, update and delete
 * get three different keys and `entityHistory` finds none of them; `--key TABLE=COL` fixes it.
 */
import type { IngestSummary } from './summary.js';

export function rowImageKeyWarnings(warn: (message: string) => void): (summary: IngestSummary) => void {
  const warned = new Set<string>();
  return (summary) => {
    for (const table of Object.keys(summary.rowImageKeys)) {
      if (warned.has(table)) continue;
      warned.add(table);
      warn(
        `${table}: changes have no key in the record (no record key, no primary-key columns) and no --key, so each is keyed ` +
          `by its whole row and an entity's history cannot be followed; pass --key ${table}=COL[,COL] naming its primary-key column(s)`,
      );
    }
  };
}
