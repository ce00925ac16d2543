/**
 * Every golden activity and change fixture (das, pgaudit, debezium, maxwell) ingested into a real
 * PostgreSQL through the real pipeline and sink, read back through the forwarder's feed read, and mapped:
 * each OCSF event validates against the pinned class definitions (test/fixtures/ocsf/), each ECS document
 * against the pinned field list (test/fixtures/ecs/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { contextOf, fixtureCases } from '../helpers/fixtures.js';
import { keyProviderFor } from '../helpers/das-crypto.js';
import { validateOcsf } from '../helpers/ocsf-validate.js';
import { validateEcs } from '../helpers/ecs-validate.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { logFramerOf } from '../../src/decoders/decoder.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { fileSource } from '../../src/sources/file/file-source.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { feedHead } from '../../src/warehouse/queries/feed.js';
import { EVERYTHING, readFeedEvents } from '../../src/siem/feed-events.js';
import { toEcs, toOcsf } from '../../src/siem/siem-format.js';
import type { SiemInput } from '../../src/siem/siem-input.js';

const FORMATS = ['das', 'pgaudit', 'debezium', 'maxwell'] as const;

/** Recommended attributes auditql leaves out, and why (docs/siem.md "OCSF"). */
const NOT_APPLICABLE = new Set([
  'observables', // not emitted
  'metadata.original_time', // the source's own time text is not kept
  'databucket', 'http_request', 'http_response', // no object store, no HTTP
  'metadata.product.uid', 'metadata.product.feature.name',
]);
/** Recommended attributes present only when the source said (a change has no statement, a login no table). */
const WHEN_KNOWN = /^(query_info|table|dst_endpoint|status_code|status_detail|src_endpoint\.|actor\.user\.|actor\.process|user\.(uid|name)|query_info\.uid|database\.(name|uid)|service\.uid|user\.account\.uid|actor\.user|dst_endpoint\..+)/;

let w: TestWarehouse;
const inputs: SiemInput[] = [];
const sourcesWithEvents = new Set<string>();

beforeAll(async () => {
  w = await freshWarehouse();
  for (const format of FORMATS) {
    const decoder = await loadDecoder(format);
    for (const c of fixtureCases(format)) {
      if (c.expected.events.length === 0) continue;
      const keyProvider = keyProviderFor(c.expected.context as { keyProviderFixture?: string } | undefined);
      const ctx = contextOf(c.expected, keyProvider ? { keyProvider } : {});
      await new IngestPipeline({
        sourceName: `${format}/${c.name}`,
        source: fileSource({ paths: [c.input], logFramer: logFramerOf(decoder, ctx) }),
        decoderFor: () => decoder,
        ctx,
        sink: new WarehouseSink(w.pool, settleAttribution),
      }).run();
    }
  }
  const upto = await feedHead(w.db);
  for (let after = '0'; after !== upto; ) {
    const page = await readFeedEvents(w.db, EVERYTHING, { after, upto, limit: 50 });
    inputs.push(...page.events);
    after = page.upto;
  }
  for (const i of inputs) sourcesWithEvents.add(i.node.source.split('/')[0]!);
}, 120_000);
afterAll(async () => { await w?.destroy(); });

const label = (i: SiemInput) => `${i.node.source} ${i.kind} ${i.kind === 'change' ? i.node.operation : i.node.class} seq ${i.node.seq}`;

it('reads activity and changes of every format, in seq order', () => {
  expect([...sourcesWithEvents].sort()).toEqual([...FORMATS].sort());
  expect(inputs.some((i) => i.kind === 'change')).toBe(true);
  expect(inputs.some((i) => i.kind === 'activity')).toBe(true);
  const seqs = inputs.map((i) => BigInt(i.node.seq));
  expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
  expect(new Set(seqs).size).toBe(seqs.length);
});

describe('OCSF', () => {
  it('every event validates against the pinned class definitions', () => {
    const bad = inputs.map((i) => ({ event: label(i), problems: validateOcsf(toOcsf(i)).problems })).filter((r) => r.problems.length);
    expect(bad).toEqual([]);
  });

  it('leaves out recommended attributes only where they do not apply or the source did not say', () => {
    const missing = new Set(inputs.flatMap((i) => validateOcsf(toOcsf(i)).missingRecommended));
    expect([...missing].filter((m) => !NOT_APPLICABLE.has(m) && !WHEN_KNOWN.test(m))).toEqual([]);
  });

  it('uses the classes and activities of the mapping table', () => {
    for (const i of inputs) {
      const e = toOcsf(i);
      expect((e.metadata as { uid: string }).uid).toBe(i.node.cursor);
      if (i.kind === 'change') {
        expect(e.class_uid).toBe(6005);
        expect(e.activity_id).toBe({ INSERT: 6, UPDATE: 2, DELETE: 7, TRUNCATE: 7, SNAPSHOT: 1 }[i.node.operation]);
      } else if (['CONNECT', 'AUTH_FAILURE', 'DISCONNECT'].includes(i.node.class)) {
        expect(e.class_uid).toBe(3002);
        expect(e.status_id).toBe(i.node.class === 'AUTH_FAILURE' ? 2 : e.status_id);
      } else expect(e.class_uid).toBe(6005);
      if (i.kind === 'activity' && !i.node.success) expect(e.status_id).toBe(2);
    }
    const classes = new Set(inputs.map((i) => toOcsf(i).class_uid));
    expect([...classes].sort()).toEqual([3002, 6005]);
  });

  it('keeps row images with their nulls in unmapped.auditql', () => {
    const withNull = inputs.find((i) => i.kind === 'change' && i.node.after !== null && Object.values(i.node.after).includes(null));
    expect(withNull).toBeDefined();
    const u = (toOcsf(withNull!).unmapped as { auditql: { after: unknown; before: unknown } }).auditql;
    expect(u.after).toEqual(withNull!.kind === 'change' ? withNull!.node.after : null);
  });
});

describe('ECS', () => {
  it('every document validates against the pinned field list', () => {
    const bad = inputs.map((i) => ({ event: label(i), problems: validateEcs(toEcs(i)) })).filter((r) => r.problems.length);
    expect(bad).toEqual([]);
  });

  it('categorizes logins as authentication and everything else as database', () => {
    for (const i of inputs) {
      const e = toEcs(i) as { event: { category: string[]; outcome: string; id: string } };
      expect(e.event.id).toBe(i.node.cursor);
      if (i.kind === 'activity' && (i.node.class === 'CONNECT' || i.node.class === 'AUTH_FAILURE')) expect(e.event.category).toContain('authentication');
      else if (i.kind === 'activity' && i.node.class === 'DISCONNECT') expect(e.event.category).toEqual(['session']);
      else expect(e.event.category).toContain('database');
      expect(e.event.outcome).toBe(i.kind === 'activity' && !i.node.success ? 'failure' : 'success');
    }
  });
});
