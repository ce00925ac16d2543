/**
 * DataLoader proof (docs/graphql.md "Batching"): a page of 100 changes with actor, transaction (and its
 * summary, changes and activity) and history-stitched field changes costs a constant number of SQL
 * statements — the same for 10 changes as for 100 — counted on the real connection pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, countingWarehouse } from './helpers.js';
import { attribute, mkActivity, mkChange, mkContext, store } from './seed.js';
import { ChangesDeepDocument } from './generated.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import type { ChangeEvent } from '../../src/model/events.js';

let w: TestWarehouse;
let counted: ReturnType<typeof countingWarehouse>;
let api: ApiServer;

beforeAll(async () => {
  w = await freshWarehouse();
  // 100 entities, each inserted then updated without a before image (so every update needs stitching),
  // each update in its own transaction with application context, a statement and attribution evidence.
  const inserts: ChangeEvent[] = [];
  const updates: ChangeEvent[] = [];
  for (let i = 0; i < 100; i++) {
    inserts.push(mkChange({ operation: 'INSERT', table: 'items', key: { id: i }, after: { id: i, price: i }, txId: `ins-${i}`, committedAt: new Date(Date.UTC(2026, 10, 20, 9)) }));
    updates.push(mkChange({ table: 'items', key: { id: i }, before: null, beforeComplete: false, after: { id: i, price: i + 1 }, txId: `tx-${i}`, committedAt: new Date(Date.UTC(2026, 10, 20, 10, 0, i)) }));
  }
  await store(w, inserts);
  const stored = await store(w, [
    ...updates,
    ...updates.map((u, i) => mkContext({ txId: u.txId!, content: { user: `user${i}@example.com` } })),
    ...updates.map((u) => mkActivity({ class: 'WRITE', command: 'UPDATE', txId: u.txId })),
  ]);
  for (const s of stored.seqs.change) await attribute(w, s, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: 'someone' });
  counted = countingWarehouse(w.url);
  // No access audit: its batched writes (in the background, a transaction each) would be counted as the pages' SQL.
  api = await startApiServer({ warehouse: counted, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', accessAudit: false });
});
afterAll(async () => {
  await api?.close();
  await counted?.close();
  await w?.destroy();
});

async function statementsFor(first: number): Promise<string[]> {
  counted.statements.length = 0;
  const data = await ok(api.url, ChangesDeepDocument, { filter: { table: 'items', operations: ['UPDATE'] }, first });
  const nodes = data.changes.nodes;
  expect(nodes).toHaveLength(first);
  // everything really was resolved
  for (const n of nodes) {
    expect(n.actor?.appUser).toBe('someone');
    expect(n.fieldChanges).toEqual([expect.objectContaining({ field: 'price', oldValueFrom: 'HISTORY' })]);
    expect(n.transaction).toMatchObject({ changeCount: 1, appUser: expect.stringMatching(/^user\d+@example.com$/) });
    expect(n.transaction!.changes.nodes).toHaveLength(1);
    expect(n.transaction!.activity.nodes).toEqual([expect.objectContaining({ command: 'UPDATE' })]);
  }
  return [...counted.statements];
}

describe('DataLoader batching', () => {
  it('answers a page of 100 changes with everything in 7 statements, the same as a page of 10', async () => {
    await statementsFor(1); // the handle's one probe of the warehouse's read paths (read-paths.ts)
    const hundred = await statementsFor(100);
    const ten = await statementsFor(10);
    // page, attributions, preceding changes (stitching), where the transactions are (the transaction
    // locator), transaction summary, transaction changes, transaction activity
    expect(hundred).toHaveLength(7);
    expect(hundred.filter((s) => s.includes('join auditql.tx_parts'))).toHaveLength(1);
    expect(ten).toHaveLength(hundred.length);
    expect(hundred.filter((s) => /from auditql\.attributions at\s+where at\.change_seq = any/.test(s))).toHaveLength(1);
  });
});
