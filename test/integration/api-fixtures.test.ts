/**
 * The API over a warehouse filled from the golden fixture files of every format (test/fixtures/<format>/),
 * ingested through the real file source, pipeline and sink, then asked over real HTTP: every stored change
 * and activity event is reachable through the contract queries, with the values the fixtures expect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { fixtureCases, type FixtureCase } from '../helpers/fixtures.js';
import { ingestFixtures } from '../helpers/ingest-fixtures.js';
import { FORMATS } from '../../src/decoders/registry.js';
import { keyText } from '../../src/model/row-key.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { ok } from '../graphql/helpers.js';
import {
  ActivityByUserDocument, ActivityDocument, ChangesDocument, type ActivityQuery, EntityAtDetailDocument, EntityHistoryDocument, TransactionDocument, WhoChangedDocument,
} from '../graphql/generated.js';

/** The fields of `comparable()` events these assertions read. */
interface ExpectedChange {
  kind: 'change'; operation: string; database: string | null; schema: string | null; table: string; key: Record<string, unknown>;
  before: unknown; after: Record<string, unknown> | null; unknownAfter: string[]; changedFields: string[]; txId: string | null;
  committedAt: string | null; origin: { server: string | null };
}
interface ExpectedActivity {
  kind: 'activity'; class: string; command: string | null; commandText: string | null; dbUser: string | null; database: string | null;
  objectName: string | null; rowCount: number | null; exitCode: string | null; errorMessage: string | null; sessionId: string | null;
  occurredAt: string | null; startedAt: string | null; txId: string | null;
}
interface ExpectedContext { kind: 'context'; txId: string | null; server: string | null; content: unknown }

let w: TestWarehouse;
let api: ApiServer;
const cases: FixtureCase[] = FORMATS.flatMap((f) => fixtureCases(f));
const source = (c: FixtureCase) => `api/${c.format}/${c.name}`;
const changesOf = (c: FixtureCase) => c.expected.events.filter((e): e is ExpectedChange => (e as { kind: string }).kind === 'change');
const activityOf = (c: FixtureCase) => c.expected.events.filter((e): e is ExpectedActivity => (e as { kind: string }).kind === 'activity');
const contextsOf = (c: FixtureCase) => c.expected.events.filter((e): e is ExpectedContext => (e as { kind: string }).kind === 'context');
const scalarKey = (k: Record<string, unknown>) =>
  Object.keys(k).length > 0 && Object.values(k).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));

beforeAll(async () => {
  w = await freshWarehouse();
  await ingestFixtures(w.pool, cases, source);
  api = await startApiServer({ warehouse: w, auth: { mode: 'none' }, port: 0, host: '127.0.0.1' });
}, 300_000);
afterAll(async () => {
  await api?.close();
  await w?.destroy();
});

const withChanges = cases.filter((c) => changesOf(c).length > 0).map((c) => [`${c.format}/${c.name}`, c] as const);
const withActivity = cases.filter((c) => activityOf(c).length > 0).map((c) => [`${c.format}/${c.name}`, c] as const);

describe('changes from fixture files, over HTTP', () => {
  it('covers every format that has change fixtures', () => {
    expect(new Set(withChanges.map(([, c]) => c.format)).size).toBeGreaterThan(0);
  });

  it.each(withChanges)('%s: changes, entityHistory, whoChanged and transaction find every change', async (_name, c) => {
    const expected = changesOf(c);
    const all = await ok(api.url, ChangesDocument, { filter: { source: source(c) }, first: 500, order: 'FEED_ORDER' });
    const nodes = all.changes.edges.map((e) => e.node);
    expect(nodes.map((n) => ({ operation: n.operation, database: n.database, schema: n.schema, table: n.table, key: n.key, before: n.before, after: n.after, committedAt: n.committedAt, transactionId: n.transactionId })))
      .toEqual(expected.map((e) => ({ operation: e.operation, database: e.database, schema: e.schema, table: e.table, key: e.key, before: e.before, after: e.after, committedAt: e.committedAt, transactionId: e.txId })));

    for (const [i, e] of expected.entries()) {
      const id = nodes[i]!.id;
      if (scalarKey(e.key)) {
        // the key as the fixture has it, and with every value as a string: same entity
        const asText = Object.fromEntries(Object.entries(e.key).map(([k, v]) => [k, v === null ? null : String(v)]));
        for (const key of [e.key, asText]) {
          const h = await ok(api.url, EntityHistoryDocument, { table: e.table, key, database: e.database, schema: e.schema, first: 500 });
          expect(h.entityHistory.edges.map((x) => x.node.id), `${e.table} ${JSON.stringify(key)}`).toContain(id);
        }
        const field = e.changedFields[0];
        if (field !== undefined && e.committedAt) {
          const until = new Date(Date.parse(e.committedAt) + 1).toISOString();
          const who = await ok(api.url, WhoChangedDocument, { table: e.table, key: e.key, field, since: e.committedAt, until, first: 500 });
          expect(who.whoChanged.edges.map((x) => x.node.id)).toContain(id);
        }
      }
      if (e.txId !== null) {
        const tx = await ok(api.url, TransactionDocument, { id: e.txId, server: e.origin.server, first: 500 });
        expect(tx.transaction?.changes.edges.map((x) => x.node.id)).toContain(id);
      }
    }
  });
});

describe('entityAt from fixture files, over HTTP', () => {
  // Entities only one fixture touches, in tables no fixture truncates: their last change says what the row is.
  const owners = new Map<string, Set<string>>();
  const truncated = new Set<string>();
  const entity = (e: ExpectedChange) => JSON.stringify([e.database, e.schema, e.table, keyText(e.key)]);
  for (const c of cases) {
    for (const e of changesOf(c)) {
      if (e.operation === 'TRUNCATE') truncated.add(JSON.stringify([e.database, e.schema, e.table]));
      else owners.set(entity(e), (owners.get(entity(e)) ?? new Set()).add(source(c)));
    }
  }
  const lasts = cases.flatMap((c) => {
    const latest = new Map<string, ExpectedChange>();
    for (const e of changesOf(c)) if (e.operation !== 'TRUNCATE' && e.committedAt && scalarKey(e.key)) latest.set(entity(e), e);
    return [...latest.values()]
      .filter((e) => owners.get(entity(e))!.size === 1 && !truncated.has(JSON.stringify([e.database, e.schema, e.table])))
      .map((e) => [`${c.format}/${c.name} ${e.table} ${JSON.stringify(e.key)}`, e] as const);
  });

  it.each(lasts)('%s', async (_name, e) => {
    const d = await ok(api.url, EntityAtDetailDocument, { table: e.table, key: e.key, at: e.committedAt!, database: e.database, schema: e.schema });
    if (e.operation === 'DELETE') {
      expect(d.entityAtDetail).toMatchObject({ existence: 'DELETED', row: null });
    } else {
      expect(d.entityAtDetail.existence).toBe('EXISTS');
      const known = Object.fromEntries(Object.entries(e.after ?? {}).filter(([k]) => !e.unknownAfter.includes(k)));
      expect(d.entityAtDetail.row).toMatchObject(known);
      if (e.unknownAfter.length === 0) expect(d.entityAtDetail).toMatchObject({ complete: true, row: e.after });
    }
  });
});

describe('activity from fixture files, over HTTP', () => {
  it.each(withActivity)('%s: activity and activityByUser find every event', async (_name, c) => {
    const expected = activityOf(c);
    const nodes: { id: string; class: string }[] = [];
    let after: string | null = null;
    do {
      const r: ActivityQuery = await ok(api.url, ActivityDocument, { filter: { source: source(c) }, first: 50, after, order: 'FEED_ORDER' });
      nodes.push(...r.activity.edges.map((x) => x.node));
      after = r.activity.pageInfo.hasNextPage ? r.activity.pageInfo.endCursor : null;
    } while (after);
    expect(nodes.map((n) => {
      const { id: _id, cursor: _c, success: _s, remoteHost: _r, clientApplication: _a, objectType: _o, ...rest } = n as unknown as Record<string, unknown>;
      return rest;
    })).toEqual(expected.map((e) => ({
      class: e.class, command: e.command, commandText: e.commandText, objectName: e.objectName, database: e.database, dbUser: e.dbUser,
      sessionId: e.sessionId, rowCount: e.rowCount, exitCode: e.exitCode, errorMessage: e.errorMessage, occurredAt: e.occurredAt, transactionId: e.txId,
    })));
    for (const [i, e] of expected.entries()) {
      const when = e.occurredAt ?? e.startedAt;
      if (e.dbUser === null || when === null) continue;
      const r = await ok(api.url, ActivityByUserDocument, { user: e.dbUser, since: when, until: new Date(Date.parse(when) + 1).toISOString(), first: 500 });
      expect(r.activityByUser.edges.map((x) => x.node.id)).toContain(nodes[i]!.id);
    }
  });
});

describe('application context from fixture files, over HTTP', () => {
  const contexts = cases.flatMap((c) => contextsOf(c).filter((x) => x.txId !== null).map((x) => [`${c.format}/${c.name} tx ${x.txId}`, x] as const));
  it.each(contexts)('%s', async (_name, x) => {
    const tx = await ok(api.url, TransactionDocument, { id: x.txId!, server: x.server });
    expect(tx.transaction).not.toBeNull();
    const all = contexts.filter(([, y]) => y.txId === x.txId && y.server === x.server).map(([, y]) => y.content);
    expect(all).toContainEqual(tx.transaction!.context);
  });
});
