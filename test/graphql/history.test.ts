/** The pure history logic behind fieldChanges and entityAt (src/graphql/history/). */
import { describe, expect, it } from 'vitest';
import { valueBefore } from '../../src/graphql/history/image-walk.js';
import { rebuildAfter } from '../../src/graphql/history/row-at.js';
import { fieldChanges } from '../../src/graphql/history/field-changes.js';
import type { ChangeRecord } from '../../src/warehouse/queries/change-record.js';

let seq = 0;
const rec = (p: Partial<ChangeRecord>): ChangeRecord => ({
  seq: String(++seq), partUs: String(seq), source: 's', position: `p${seq}`, format: 'debezium', operation: 'UPDATE',
  database: 'db', schema: 'public', table: 't', key: { id: 1 }, keyText: '[["id","1"]]', keySource: 'RECORD_KEY',
  before: null, after: null, beforeComplete: true, unknownBefore: [], unknownAfter: [], changedFields: [], txId: null, txOrder: null,
  committedAt: null, committedAtSource: 'UNKNOWN', server: null, connection: null, extra: {}, ingestedAt: new Date(0), ...p,
});

describe('valueBefore', () => {
  it('takes the newest image that knows the column', () => {
    const earlier = [rec({ after: { a: 2 } }), rec({ after: { a: 1 } })];
    expect(valueBefore('a', earlier)).toEqual({ known: true, value: 2 });
  });
  it('looks through unchanged TOAST placeholders, using a before image when one knows', () => {
    expect(valueBefore('a', [rec({ after: {}, unknownAfter: ['a'], before: { a: 'b4' } }), rec({ after: { a: 'older' } })]))
      .toEqual({ known: true, value: 'b4' });
    expect(valueBefore('a', [rec({ after: {}, unknownAfter: ['a'] }), rec({ after: { a: 'older' } })]))
      .toEqual({ known: true, value: 'older' });
  });
  it('stops at a delete, at an insert that does not know, and at an image without the column', () => {
    expect(valueBefore('a', [rec({ operation: 'DELETE', before: { a: 1 } })])).toEqual({ known: false, settled: true });
    expect(valueBefore('a', [rec({ operation: 'INSERT', after: {}, unknownAfter: ['a'] }), rec({ after: { a: 1 } })])).toEqual({ known: false, settled: true });
    expect(valueBefore('a', [rec({ after: { b: 1 } }), rec({ after: { a: 1 } })])).toEqual({ known: false, settled: true });
  });
  it('says when reading further back could still tell', () => {
    expect(valueBefore('a', [rec({ after: {}, unknownAfter: ['a'] })])).toEqual({ known: false, settled: false });
    expect(valueBefore('a', [])).toEqual({ known: false, settled: false });
  });
  it('keeps a known null as a value', () => {
    expect(valueBefore('a', [rec({ after: { a: null } })])).toEqual({ known: true, value: null });
  });
});

describe('rebuildAfter', () => {
  it('returns the after image when it is whole, reading nothing', async () => {
    const r = await rebuildAfter(rec({ after: { id: 1, a: 'x' } }), async () => { throw new Error('no reads expected'); }, 100);
    expect(r).toEqual({ row: { id: 1, a: 'x' }, complete: true, unknownColumns: [] });
  });
  it('fills unsent columns from its own before image, then from earlier changes page by page', async () => {
    const c = rec({ after: { id: 1 }, unknownAfter: ['a', 'b'], before: { id: 1, a: 'own' } });
    const pages = [[rec({ after: { id: 1 }, unknownAfter: ['b'] })], [rec({ operation: 'INSERT', after: { id: 1, b: 'first' } })]];
    let reads = 0;
    const r = await rebuildAfter(c, async () => pages[reads++] ?? [], 100);
    expect(r).toEqual({ row: { id: 1, a: 'own', b: 'first' }, complete: true, unknownColumns: [] });
    expect(reads).toBe(2);
  });
  it('says which columns stay unknown, and stops reading once nothing more can tell', async () => {
    const c = rec({ after: { id: 1 }, unknownAfter: ['b'] });
    let reads = 0;
    const r = await rebuildAfter(c, async () => (reads++ === 0 ? [rec({ operation: 'INSERT', after: { id: 1 }, unknownAfter: ['b'] })] : [rec({ after: { b: 'stale' } })]), 100);
    expect(r).toEqual({ row: { id: 1 }, complete: false, unknownColumns: ['b'] });
    expect(reads).toBe(1);
  });
  it('a delete has no row; an insert never borrows from a previous incarnation', async () => {
    expect(await rebuildAfter(rec({ operation: 'DELETE', before: { id: 1 } }), async () => [], 10)).toEqual({ row: null, complete: true, unknownColumns: [] });
    const r = await rebuildAfter(rec({ operation: 'INSERT', after: { id: 1 }, unknownAfter: ['b'] }), async () => [rec({ after: { b: 1 } })], 10);
    expect(r).toEqual({ row: { id: 1 }, complete: false, unknownColumns: ['b'] });
  });
});

describe('fieldChanges', () => {
  it('treats a column missing from a complete before image as absent, not unknown', () => {
    const c = rec({ before: { id: 1 }, after: { id: 1, added: 5 }, changedFields: ['added'] });
    expect(fieldChanges(c, null)).toEqual([
      { field: 'added', oldValue: null, newValue: 5, oldValueKnown: true, newValueKnown: true, oldValueFrom: 'ABSENT', newValueFrom: 'IMAGE' },
    ]);
  });
  it('treats a snapshot as having an unknown past', () => {
    const c = rec({ operation: 'SNAPSHOT', after: { id: 1 }, changedFields: ['id'] });
    expect(fieldChanges(c, null)[0]).toMatchObject({ oldValueKnown: false, oldValueFrom: 'UNKNOWN' });
  });
});
