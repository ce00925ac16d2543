/** The ingest summary (docs/configuration.md "`auditql ingest` flags"): `--json` prints `{"read","stored","duplicates","deadLettered","skipped","formats","skippedBy"}`. */
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
}

export const emptySummary = (): IngestSummary => ({
  read: 0, stored: 0, duplicates: 0, deadLettered: 0, skipped: 0, formats: {}, skippedBy: {},
});

export function summaryLine(s: IngestSummary): string {
  return JSON.stringify({
    read: s.read, stored: s.stored, duplicates: s.duplicates, deadLettered: s.deadLettered, skipped: s.skipped,
    formats: s.formats, skippedBy: s.skippedBy,
  });
}
