/** Change.actor from attribution rows: best evidence first, fields merged from the best that has them, never guessed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, ok, type TestApi } from './helpers.js';
import { attribute, mkActivity, mkChange, store, storeEach } from './seed.js';
import { ChangesDocument, EntityHistoryDocument } from './generated.js';

let t: TestApi;
const seq: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApi();
  [seq.a, seq.b, seq.c] = await storeEach(t.w, [
    mkChange({ key: { id: 1 }, before: { id: 1, v: 0 }, after: { id: 1, v: 1 } }),
    mkChange({ key: { id: 2 }, before: { id: 2, v: 0 }, after: { id: 2, v: 1 } }),
    mkChange({ key: { id: 3 }, before: { id: 3, v: 0 }, after: { id: 3, v: 1 } }),
  ]);
  // the source itself names a user: ingest's attribution step records it as SOURCE evidence
  [seq.d] = await storeEach(t.w, [
    mkChange({ key: { id: 4 }, before: { id: 4, v: 0 }, after: { id: 4, v: 1 }, origin: { server: 'pg1', connection: '77', user: 'replicator' } }),
  ], { attribution: true });
  const act = await store(t.w, [mkActivity({ dbUser: 'app_rw', sessionId: 'sess-9' })]);
  // evidence recorded in arbitrary order: weaker first, stronger later (activity streams lag)
  await attribute(t.w, seq.a!, { evidence: 'SOURCE', confidence: 'EXACT', dbUser: 'root' });
  await attribute(t.w, seq.a!, { evidence: 'ACTIVITY_SESSION', confidence: 'PROBABLE', dbUser: 'app_rw', remoteHost: '10.1.1.1', clientApplication: 'api', activitySeq: act.seqs.activity[0] });
  await attribute(t.w, seq.a!, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: 'alice@example.com', contextSeq: '424242' });
  // only probable evidence
  await attribute(t.w, seq.b!, { evidence: 'ACTIVITY_SESSION', confidence: 'PROBABLE', dbUser: 'maybe_bob' });
  // seq.c: no evidence at all
});
afterAll(async () => {
  await t?.close();
});

describe('actor', () => {
  it('lists evidence best first and fills each field from the best evidence that has it', async () => {
    const r = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1 } });
    const actor = r.entityHistory.edges[0]!.node.actor!;
    expect(actor).toMatchObject({ appUser: 'alice@example.com', dbUser: 'app_rw', remoteHost: '10.1.1.1', clientApplication: 'api', confidence: 'EXACT' });
    expect(actor.evidence.map((e) => [e.source, e.confidence, e.dbUser, e.appUser])).toEqual([
      ['APP_CONTEXT', 'EXACT', null, 'alice@example.com'],
      ['ACTIVITY_SESSION', 'PROBABLE', 'app_rw', null],
      ['SOURCE', 'EXACT', 'root', null],
    ]);
    expect(actor.evidence[0]!.contextId).toBe('424242');
    expect(actor.evidence[1]!.activityId).toMatch(/^\d+$/);
  });

  it('reports probable evidence as probable', async () => {
    const r = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 2 } });
    expect(r.entityHistory.edges[0]!.node.actor).toMatchObject({ dbUser: 'maybe_bob', confidence: 'PROBABLE' });
  });

  it('is null without evidence — never guessed', async () => {
    const r = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 3 } });
    expect(r.entityHistory.edges[0]!.node.actor).toBeNull();
  });

  it("takes the source's own user as SOURCE evidence through ingest", async () => {
    const r = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 4 } });
    expect(r.entityHistory.edges[0]!.node.actor).toMatchObject({ dbUser: 'replicator', evidence: [{ source: 'SOURCE', confidence: 'EXACT' }] });
  });

  it('filters changes by any user the evidence names', async () => {
    const ids = async (actor: string) => (await ok(t.url, ChangesDocument, { filter: { actor } })).changes.edges.map((e) => e.node.id);
    expect(await ids('alice@example.com')).toEqual([seq.a]);
    expect(await ids('root')).toEqual([seq.a]);
    expect(await ids('replicator')).toEqual([seq.d]);
    expect(await ids('nobody')).toEqual([]);
  });
});
