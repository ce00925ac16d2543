/**
 * How auditql connects to a source database. Every connection — the replication stream and the catalog
 * queries — sets the output GUCs the pgoutput record relies on, so values print the same whatever the
 * server's or role's defaults: ISO dates, UTC, ISO-8601 intervals, hex bytea, exact floats.
 */
import type { ClientConfig } from 'pg';

export const SESSION_OPTIONS = [
  '-c DateStyle=ISO',
  '-c TimeZone=UTC',
  '-c IntervalStyle=iso_8601',
  '-c bytea_output=hex',
  '-c extra_float_digits=3',
].join(' ');

export function sourceClientConfig(url: string, applicationName: string): ClientConfig {
  return {
    connectionString: url,
    options: SESSION_OPTIONS,
    application_name: applicationName,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  };
}

/** The database a URL names (for messages). */
export function databaseOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || '(default)';
  } catch {
    return '(unparsable URL)';
  }
}
