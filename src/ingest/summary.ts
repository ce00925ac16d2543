import type { AuditEvent } from '../model/events.js';

/**
 * The ingest summary (docs/configuration.md "`auditql ingest` flags"): `--json` prints
 * `{"read","stored","duplicates","deadLettered","skipped","formats","skippedBy","keySources"}`.
 */
export interface IngestSummary {
  read: number;
  stored: number;
  duplicates: number;
  deadLettered: number;
  skipped: number;
  /** Events decoded per format (with `--format auto`, which formats were chosen). */
  formats: Record<string, number>;
  /** Skipped records per reason (TOMBSTONE, HEARTBEAT, NOT_AUDIT …). */
  skippedBy: Record<string, number>;
  /** Changes per key source (RECORD_KEY, SOURCE_PK, CONFIGURED, ID_COLUMN, ROW_IMAGE, NONE: docs/event-model.md). */
  keySources: Record<string, number>;
  /**
   * Changes keyed by their whole row image, per table (`schema-or-database.table`): no record key, no
   * primary key in the record, no `--key`, no `id` column. Each image is a different key, so such an
   * entity's history falls apart; the composition root warns once per table (run.ts).
   */
  rowImageKeys: Record<string, number>;
}

export const emptySummary = (): IngestSummary => ({
  read: 0, stored: 0, duplicates: 0, deadLettered: 0, skipped: 0, formats: {}, skippedBy: {}, keySources: {}, rowImageKeys: {},
});

/** Count the key sources of a unit's changes. */
export function countKeys(s: IngestSummary, events: readonly AuditEvent[]): void {
  for (const e of events) {
    if (e.kind !== 'change') continue;
    s.keySources[e.keySource] = (s.keySources[e.keySource] ?? 0) + 1;
    if (e.keySource === 'ROW_IMAGE') {
      const table = [e.schema ?? e.database, e.table].filter((x) => x !== null).join('.');
      s.rowImageKeys[table] = (s.rowImageKeys[table] ?? 0) + 1;
    }
  }
}

export function summaryLine(s: IngestSummary): string {
  return JSON.stringify({
    read: s.read, stored: s.stored, duplicates: s.duplicates, deadLettered: s.deadLettered, skipped: s.skipped,
    formats: s.formats, skippedBy: s.skippedBy, keySources: s.keySources,
  });
}
