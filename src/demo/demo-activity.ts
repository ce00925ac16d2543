/**
 * The demo's activity stream: the embedded server's own csvlog (started with it, src/warehouse/embedded.ts;
 * the demo database logs every write and DDL statement, demo-source.ts), followed as it grows and read by
 * the pgAudit decoder with `--server-log` — what `auditql ingest --from file --follow --format pgaudit
 * --server-log` does on a server without pgAudit. Statements, connections and failed logins become
 * activity, so `activityByUser` has real events.
 */
import { isAbsolute, join } from 'node:path';
import pg from 'pg';
import { decodeContext } from '../decoders/context.js';
import { logFramerOf } from '../decoders/decoder.js';
import { loadDecoder } from '../decoders/registry.js';
import { startIngest, type IngestRun } from '../ingest/run.js';
import type { Logger } from '../log.js';
import { processTelemetry } from '../metrics/telemetry.js';
import { fileSource } from '../sources/file/file-source.js';

export const DEMO_ACTIVITY_SOURCE = 'demo-log';

/** Where the server writes its csvlog now, or null when it writes none (a server started without it). */
export async function currentCsvlog(adminUrl: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => {});
  await c.connect();
  try {
    const r = await c.query<{ file: string | null; dir: string }>(
      `SELECT pg_current_logfile('csvlog') AS file, current_setting('data_directory') AS dir`,
    );
    const { file, dir } = r.rows[0]!;
    if (!file) return null;
    return isAbsolute(file) ? file : join(dir, file);
  } finally {
    await c.end();
  }
}

export async function startDemoActivity(o: { adminUrl: string; pool: pg.Pool; log: Logger }): Promise<IngestRun | null> {
  const file = await currentCsvlog(o.adminUrl);
  if (!file) {
    o.log.warn('demo: the embedded PostgreSQL writes no csvlog (it was started by another process without it): no activity stream');
    return null;
  }
  const decoder = await loadDecoder('pgaudit');
  const ctx = decodeContext({ serverLog: true });
  return startIngest({
    pool: o.pool,
    sourceName: DEMO_ACTIVITY_SOURCE,
    source: fileSource({ paths: [file], logFramer: logFramerOf(decoder, ctx), follow: true }),
    decoderFor: () => decoder,
    ctx,
    live: true,
    log: o.log,
    observer: processTelemetry().ingest.observer(DEMO_ACTIVITY_SOURCE),
  });
}
