/**
 * A warehouse with a sealed ledger: changes (with SOURCE attribution), activity and contexts on an old day
 * (2026-10-01, for retention) and a recent one (2026-11-20), written by the real sink in several batches,
 * sealed every 5 leaves and at the end; API access records (their own seq space) written by the API's
 * recorder between the batches.
 */
import type pg from 'pg';
import { activity, change, context, type AuditEvent } from '../../src/model/events.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { Sealer } from '../../src/warehouse/ledger/sealer.js';
import { generateSigner, type Signer } from '../../src/warehouse/ledger/signed-note.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { insertApiAccess, type ApiAccessEntry } from '../../src/warehouse/queries/api-access.js';
import { freshWarehouse, type TestWarehouse } from './db.js';

export const OLD_DAY = new Date('2026-10-01T12:00:00Z');
export const NEW_DAY = new Date('2026-11-20T12:00:00Z');
export const ORIGIN = 'auditql.test/ledger';

export const mkChange = (position: string, committedAt: Date, id: number, email = `e${id}@x`) =>
  change({
    format: 'debezium', position, operation: 'UPDATE', database: 'shop', schema: 'public', table: 'customers',
    key: { id }, keySource: 'RECORD_KEY', before: { id, email: 'old@x', n: 1.50 }, after: { id, email, n: 2 },
    beforeComplete: true, unknownBefore: [], unknownAfter: [], changedFields: ['email'], txId: `tx${id}`, txOrder: 1,
    committedAt, committedAtSource: 'SOURCE', origin: { server: 'pg1', connection: null, user: 'app' }, extra: { lsn: id },
  });

export const mkActivity = (position: string, occurredAt: Date, user: string) =>
  activity({
    format: 'pgaudit', position, class: 'WRITE', rawClass: 'WRITE', command: 'UPDATE', commandText: 'update customers set email = $1',
    objectType: 'TABLE', objectName: 'public.customers', database: 'shop', dbUser: user, remoteHost: '10.0.0.1', remotePort: '5432',
    clientApplication: 'psql', sessionId: 's1', pid: '42', statementId: '1', substatementId: '1', rowCount: 1, exitCode: null,
    errorMessage: null, txId: null, startedAt: null, occurredAt, server: 'pg1', parameters: null, extra: {},
  });

export const mkContext = (position: string, user: string) =>
  context({ format: 'pgoutput', position, txId: 'tx9', server: 'pg1', prefix: 'auditql', transactional: true, content: { user, 'ünï': '"q"\n' }, appUser: user, occurredAt: NEW_DAY });

export const mkAccess = (principal: string, operationName: string, durationMs: number | null): ApiAccessEntry => ({
  at: NEW_DAY, principal, role: 'auditor', authKind: 'api_key', clientAddress: '10.0.0.9', transport: 'http', event: 'operation',
  operationType: 'query', operationName, documentHash: 'ab'.repeat(32), variables: { id: { $masked: 'redact' } }, rowsReturned: 3,
  decision: 'allowed', reason: null, durationMs,
});

export interface Seeded {
  readonly w: TestWarehouse;
  readonly signer: Signer;
  readonly sink: WarehouseSink;
  write(events: AuditEvent[]): Promise<void>;
}

export async function seedLedger(signer = generateSigner(ORIGIN), extra: AuditEvent[] = []): Promise<Seeded> {
  const w = await freshWarehouse();
  const sealer = new Sealer(w.pool, { signer, origin: ORIGIN, everyRows: 5, everyMs: 3_600_000 });
  const sink = new WarehouseSink(w.pool, settleAttribution, sealer);
  const write = async (events: AuditEvent[]) => { await sink.write({ source: 's', events, deadLetters: [], checkpoints: [] }); };
  await write([mkChange('c1', OLD_DAY, 1), mkChange('c2', OLD_DAY, 2), mkActivity('a1', OLD_DAY, 'bob')]);
  await insertApiAccess(w.db, [mkAccess('k1', 'Changes', 12.25), mkAccess('k2', 'Activity', 0.1)]);
  await write([mkChange('c3', NEW_DAY, 3), mkActivity('a2', NEW_DAY, 'alice'), mkContext('x1', 'carol')]);
  await insertApiAccess(w.db, [mkAccess('k1', 'Entity', null)]);
  await write([mkChange('c4', NEW_DAY, 4), mkChange('c5', NEW_DAY, 5), mkActivity('a3', NEW_DAY, 'dave'), ...extra]);
  await sink.ledger.seal();
  return { w, signer, sink, write };
}

export async function one<T>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<T> {
  return (await pool.query(sql, params)).rows[0] as T;
}
