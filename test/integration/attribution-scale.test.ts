/**
 * Settlement stays set-based at batch scale: full 5000-event batches of changes, pgAudit activity (a third
 * logged before its transaction had an xid), context, and MySQL changes with Aurora activity for session
 * correlation — in both arrival orders, on a warehouse with 90 daily partitions. Guards against plans that
 * grow with the square of a batch (a CTE re-evaluated per row once cost the real-workload test minutes) or
 * with the number of partitions (planning a 5000-seq list against each one), and checks the result is
 * complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { dayOf, PartitionManager } from '../../src/warehouse/partitions.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { activity, change, context, type AuditEvent } from '../../src/model/events.js';

const TXS = 2000;
const BATCH = 5000;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');

function workload(server: string): { changes: AuditEvent[]; evidence: AuditEvent[] } {
  const changes: AuditEvent[] = [];
  const evidence: AuditEvent[] = [];
  for (let i = 0; i < TXS; i++) {
    const txId = String(10_000 + i);
    const at = new Date(T0 + i * 100);
    const user = `user${i % 7}`;
    for (const [n, table] of [[0, 'accounts'], [1, 'orders']] as const) {
      changes.push(change({
        format: 'pgoutput', position: `${server}:c${i}:${n}`, operation: 'UPDATE', database: 'shop', schema: 'public', table,
        key: { id: i }, keySource: 'SOURCE_PK', before: null, after: { id: i }, beforeComplete: false, unknownBefore: [],
        unknownAfter: [], changedFields: ['id'], txId, txOrder: n, committedAt: at, committedAtSource: 'SOURCE',
        origin: { server, connection: null, user: null }, extra: {},
      }));
      // Maxwell-style: same connection as the Aurora MySQL activity below
      changes.push(change({
        format: 'maxwell', position: `${server}:m${i}:${n}`, operation: 'INSERT', database: 'shop', schema: null, table,
        key: { id: i }, keySource: 'RECORD_KEY', before: null, after: { id: i }, beforeComplete: true, unknownBefore: [],
        unknownAfter: [], changedFields: ['id'], txId: String(900_000 + i), txOrder: n, committedAt: new Date(Math.floor(at.getTime() / 1000) * 1000),
        committedAtSource: 'SOURCE', origin: { server: `${server}-my`, connection: String(i % 50), user: null }, extra: {},
      }));
    }
    for (const [n, table] of [[0, 'accounts'], [1, 'orders'], [2, 'orders']] as const) {
      evidence.push(activity({
        format: 'pgaudit', position: `${server}:a${i}:${n}`, class: 'WRITE', rawClass: 'WRITE', command: 'UPDATE', commandText: null,
        objectType: 'TABLE', objectName: `public.${table}`, database: 'shop', dbUser: user, remoteHost: '10.0.0.1', remotePort: null,
        clientApplication: 'app', sessionId: `s${i % 40}`, pid: String(i % 40), statementId: String(n), substatementId: '1', rowCount: 1,
        exitCode: null, errorMessage: null, txId: n === 0 ? null : txId, startedAt: null, occurredAt: new Date(at.getTime() - 10 + n),
        server, parameters: null, extra: { vxid: `3/${i}` },
      }));
    }
    for (const table of ['accounts', 'orders']) {
      evidence.push(activity({
        format: 'das', position: `${server}:d${i}:${table}`, class: 'WRITE', rawClass: 'MAIN', command: 'QUERY', commandText: 'insert …',
        objectType: 'TABLE', objectName: table, database: 'shop', dbUser: `my${i % 50}`, remoteHost: '10.0.0.2', remotePort: null,
        clientApplication: null, sessionId: String(i % 50), pid: '2830', statementId: String(i), substatementId: '1', rowCount: 1,
        exitCode: '0', errorMessage: null, txId: String(1_000_000 + i), startedAt: null, occurredAt: new Date(at.getTime() + 300),
        server: `${server}-my`, parameters: null, extra: { engine: 'mysql' },
      }));
    }
    if (i % 2 === 0) {
      evidence.push(context({
        format: 'pgoutput', position: `${server}:x${i}`, txId, server, prefix: 'auditql', transactional: true,
        content: { user: `app${i % 5}@example.com` }, appUser: `app${i % 5}@example.com`, occurredAt: at,
      }));
    }
  }
  return { changes, evidence };
}

let w: TestWarehouse;
beforeAll(async () => {
  w = await freshWarehouse();
  // A warehouse that has run for a while: three months of daily partitions around the workload's day.
  const days = Array.from({ length: 90 }, (_, i) => dayOf(new Date(T0 + (i - 60) * 86_400_000)));
  const partitions = new PartitionManager(w.pool);
  await partitions.ensure('changes', days);
  await partitions.ensure('activity', days);
});
afterAll(async () => { await w?.destroy(); });

async function writeAll(sink: WarehouseSink, source: string, events: AuditEvent[]): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < events.length; i += BATCH) {
    const t = Date.now();
    await sink.write({ source, events: events.slice(i, i + BATCH), deadLetters: [], checkpoints: [] });
    slowest = Math.max(slowest, Date.now() - t);
  }
  return slowest;
}

describe('attribution at batch scale', () => {
  for (const order of ['evidence first', 'changes first'] as const) {
    it(`${TXS} transactions, ${order}: every change settled, no batch slow`, async () => {
      const server = order === 'evidence first' ? 'ef' : 'cf';
      const { changes, evidence } = workload(server);
      const sink = new WarehouseSink(w.pool, settleAttribution);
      const first = order === 'evidence first' ? evidence : changes;
      const second = order === 'evidence first' ? changes : evidence;
      const slowest = Math.max(await writeAll(sink, `${server}-1`, first), await writeAll(sink, `${server}-2`, second));
      const r = await w.pool.query<{ evidence: string; n: number }>(
        `select at.evidence, count(distinct at.change_seq)::int as n from auditql.attributions at
         join auditql.changes c on c.seq = at.change_seq where c.source like $1 group by 1 order by 1`, [`${server}-%`]);
      expect(Object.fromEntries(r.rows.map((x) => [x.evidence, x.n]))).toEqual({
        ACTIVITY_TX: 2 * TXS, // every pgoutput change, the accounts one through its vxid-linked entry
        APP_CONTEXT: TXS, // the half with context, two changes each
        ACTIVITY_SESSION: 2 * TXS, // every Maxwell change, by connection (Aurora's InnoDB ids never meet Maxwell's XIDs)
      });
      const vxid = await w.pool.query(`select count(*)::int as n from auditql.attributions at join auditql.changes c on c.seq = at.change_seq
        where c.source like $1 and at.evidence = 'ACTIVITY_TX' and c.table_name = 'accounts' and at.detail->>'sameTable' = 'true'`, [`${server}-%`]);
      expect(vxid.rows[0].n).toBe(TXS);
      // A set-based settlement is far inside this bound; a plan that grows with the batch squared, or plans
      // every partition, is far outside it (BENCHMARKS.md "Other measurements").
      expect(slowest).toBeLessThan(8_000);
    }, 180_000);
  }
});
