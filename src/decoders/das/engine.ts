/**
 * Which engine wrote a DAS event: the same field means different things per engine (docs/formats/das.md
 * "Event fields per engine": `class` values, `exitCode` semantics). Decided from the event itself, strongest evidence first.
 */
import type { DasActivityEvent } from './payload.js';

export type DasEngine = 'postgresql' | 'mysql' | 'oracle' | 'sqlserver';

function fromName(v: unknown): DasEngine | null {
  if (typeof v !== 'string') return null;
  const s = v.toLowerCase();
  if (s.includes('postgres')) return 'postgresql';
  if (s.includes('mysql')) return 'mysql';
  if (s.includes('oracle')) return 'oracle';
  if (s.includes('sqlserver') || s.includes('sql server')) return 'sqlserver';
  return null;
}

/** Oracle UNIFIED_AUDIT_TRAIL AUDIT_TYPE values (RDS "databaseActivityEventList fields for Amazon RDS for Oracle"). */
const ORACLE_AUDIT_TYPES = new Set([
  'STANDARD', 'FINEGRAINEDAUDIT', 'XS', 'DATABASE VAULT', 'LABEL SECURITY', 'RMAN_AUDIT', 'DATAPUMP', 'DIRECT PATH API',
]);

/** By version (AUR/RDS): 1.0/1.1 Aurora PostgreSQL, 1.2 Aurora MySQL, 1.3 RDS Oracle, 1.4 RDS SQL Server. */
const BY_VERSION: Readonly<Record<string, DasEngine>> = {
  '1.0': 'postgresql', '1.1': 'postgresql', '1.2': 'mysql', '1.3': 'oracle', '1.4': 'sqlserver',
};

export function detectEngine(event: DasActivityEvent, version: string | null): DasEngine | null {
  const named = fromName(event.serverType) ?? fromName(event.dbProtocol) ?? fromName(event.serviceName);
  if (named) return named;
  const cls = typeof event.class === 'string' ? event.class.toUpperCase() : '';
  if (cls === 'MAIN' || cls === 'AUX') return 'mysql';
  if (ORACLE_AUDIT_TYPES.has(cls) || event.dbid !== undefined) return 'oracle';
  return version !== null ? (BY_VERSION[version] ?? null) : null;
}
