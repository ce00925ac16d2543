/**
 * Change.fieldChanges over HTTP: old → new per field; unknown old values (incomplete before images, TOAST)
 * marked unknown — not null — unless the entity's earlier changes tell them (history stitching).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, ok, type TestApi } from './helpers.js';
import { at, mkChange, storeEach } from './seed.js';
import { ChangeFieldChangesDocument, type FieldChangeFieldsFragment } from './generated.js';

let t: TestApi;

const fc = (field: string, o: Partial<FieldChangeFieldsFragment>): FieldChangeFieldsFragment => ({
  field, oldValue: null, newValue: null, oldValueKnown: true, newValueKnown: true, oldValueFrom: 'IMAGE', newValueFrom: 'IMAGE', ...o,
});

async function fieldChangesOf(table: string, fromHistory: boolean) {
  const r = await ok(t.url, ChangeFieldChangesDocument, { filter: { table }, first: 50, fromHistory });
  return r.changes.nodes.map((n) => ({ op: n.operation, fields: n.fieldChanges }));
}

beforeAll(async () => {
  t = await startTestApi();
  const bio = 'x'.repeat(50);
  await storeEach(t.w, [
    // Debezium with REPLICA IDENTITY DEFAULT: updates carry no before image.
    mkChange({ table: 'people', operation: 'INSERT', key: { id: 1 }, after: { id: 1, name: 'Ann', email: 'a@x', bio }, committedAt: at('2026-11-20T10:00:00Z') }),
    mkChange({ table: 'people', key: { id: 1 }, before: null, beforeComplete: false, after: { id: 1, name: 'Anna', email: 'a@x', bio }, committedAt: at('2026-11-20T10:01:00Z') }),
    // the unchanged TOAST column is not sent
    mkChange({ table: 'people', key: { id: 1 }, before: null, beforeComplete: false, after: { id: 1, name: 'Anna', email: 'b@x' }, unknownAfter: ['bio'], committedAt: at('2026-11-20T10:02:00Z') }),
    // now bio changes: its old value is two changes back, behind a TOAST placeholder
    mkChange({ table: 'people', key: { id: 1 }, before: null, beforeComplete: false, after: { id: 1, name: 'Anna', email: 'b@x', bio: 'short' }, committedAt: at('2026-11-20T10:03:00Z') }),
    // REPLICA IDENTITY FULL but the before image's TOAST value unavailable
    mkChange({ table: 'people', key: { id: 1 }, before: { id: 1, name: 'Anna', email: 'b@x' }, unknownBefore: ['bio'], beforeComplete: false, after: { id: 1, name: 'Anna', email: 'b@x', bio: 'shorter' }, committedAt: at('2026-11-20T10:04:00Z') }),
    mkChange({ table: 'people', operation: 'DELETE', key: { id: 1 }, before: { id: 1, name: 'Anna', email: 'b@x', bio: 'shorter' }, committedAt: at('2026-11-20T10:05:00Z') }),
    // an entity first seen through an update: nothing earlier to stitch from
    mkChange({ table: 'strangers', key: { id: 9 }, before: null, beforeComplete: false, after: { id: 9, name: 'Zed' }, committedAt: at('2026-11-20T10:00:00Z') }),
    // an update right after a delete: a different incarnation, never stitched across
    mkChange({ table: 'ghosts', operation: 'INSERT', key: { id: 3 }, after: { id: 3, name: 'Old' }, committedAt: at('2026-11-20T10:00:00Z') }),
    mkChange({ table: 'ghosts', operation: 'DELETE', key: { id: 3 }, before: { id: 3, name: 'Old' }, committedAt: at('2026-11-20T10:01:00Z') }),
    mkChange({ table: 'ghosts', key: { id: 3 }, before: null, beforeComplete: false, after: { id: 3, name: 'New' }, committedAt: at('2026-11-20T10:02:00Z') }),
  ]);
});
afterAll(async () => {
  await t?.close();
});

describe('fieldChanges', () => {
  it('marks old values unknown, not null, when the before image is incomplete and history is not asked', async () => {
    const [insert, u1, u2, u3, u4, del] = await fieldChangesOf('people', false);
    expect(insert!.fields).toEqual([
      fc('id', { oldValueFrom: 'ABSENT', newValue: 1 }), fc('name', { oldValueFrom: 'ABSENT', newValue: 'Ann' }),
      fc('email', { oldValueFrom: 'ABSENT', newValue: 'a@x' }), fc('bio', { oldValueFrom: 'ABSENT', newValue: 'x'.repeat(50) }),
    ]);
    const unknownOld = { oldValue: null, oldValueKnown: false, oldValueFrom: 'UNKNOWN' as const };
    // every after column may have changed
    expect(u1!.fields.map((f) => f.field)).toEqual(['id', 'name', 'email', 'bio']);
    expect(u1!.fields.every((f) => f.oldValueKnown === false && f.oldValue === null && f.oldValueFrom === 'UNKNOWN')).toBe(true);
    // the unsent TOAST column is not reported as changed
    expect(u2!.fields.map((f) => f.field)).toEqual(['id', 'name', 'email']);
    expect(u3!.fields.find((f) => f.field === 'bio')).toEqual(fc('bio', { ...unknownOld, newValue: 'short' }));
    expect(u4!.fields).toEqual([fc('bio', { ...unknownOld, newValue: 'shorter' })]);
    expect(del!.fields.find((f) => f.field === 'bio')).toEqual(fc('bio', { oldValue: 'shorter', newValueFrom: 'ABSENT' }));
  });

  it('fills unknown old values from the entity history and drops fields that did not change', async () => {
    const [, u1, u2, u3, u4] = await fieldChangesOf('people', true);
    expect(u1!.fields).toEqual([fc('name', { oldValue: 'Ann', newValue: 'Anna', oldValueFrom: 'HISTORY' })]);
    expect(u2!.fields).toEqual([fc('email', { oldValue: 'a@x', newValue: 'b@x', oldValueFrom: 'HISTORY' })]);
    // bio's old value: behind the TOAST placeholder of u2, in u1's after image
    expect(u3!.fields).toEqual([fc('bio', { oldValue: 'x'.repeat(50), newValue: 'short', oldValueFrom: 'HISTORY' })]);
    expect(u4!.fields).toEqual([fc('bio', { oldValue: 'short', newValue: 'shorter', oldValueFrom: 'HISTORY' })]);
  });

  it('leaves old values unknown when history cannot tell them', async () => {
    const [stranger] = await fieldChangesOf('strangers', true);
    expect(stranger!.fields.map((f) => [f.field, f.oldValueKnown, f.oldValue, f.oldValueFrom])).toEqual([
      ['id', false, null, 'UNKNOWN'], ['name', false, null, 'UNKNOWN'],
    ]);
    const [, , reborn] = await fieldChangesOf('ghosts', true);
    expect(reborn!.fields.map((f) => [f.field, f.oldValueKnown])).toEqual([['id', false], ['name', false]]);
  });
});
