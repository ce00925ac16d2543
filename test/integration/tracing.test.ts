/**
 * OpenTelemetry traces exported over real OTLP/HTTP to a collector this test runs on 127.0.0.1: an ingest
 * into a real warehouse and a GraphQL query against a real API server produce the documented spans
 * (docs/operations.md "Traces") with the right parents, SQL spans named by what they do, and nothing of
 * the rows' values, the statements' text or the warehouse password.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeContext } from '../../src/decoders/context.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { startIngest } from '../../src/ingest/run.js';
import { silentLogger } from '../../src/log.js';
import { sqlSpanName } from '../../src/trace/sql-span-name.js';
import { startTracing, stopTracing, tracing } from '../../src/trace/tracing.js';
import { arraySource, maxwellRow } from '../helpers/array-source.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { until } from '../helpers/until.js';
import { postGraphql } from '../graphql/helpers.js';

interface ExportedSpan { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes?: { key: string; value: Record<string, unknown> }[] }

const ROW_VALUE = 'value-9c41-never-in-a-span';
let collector: Server;
const bodies: string[] = [];
let w: TestWarehouse;
let api: ApiServer;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  await startTracing({ endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/` });
  w = await freshWarehouse();
  api = await startApiServer({ auth: { mode: 'none' }, warehouse: w, port: 0, host: '127.0.0.1', log: silentLogger, subscriptions: false });
});
afterAll(async () => {
  await stopTracing();
  await api?.close();
  await w?.destroy();
  await new Promise((r) => collector?.close(r));
});

const spans = (): ExportedSpan[] =>
  bodies.flatMap((b) => (JSON.parse(b) as { resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[] }).resourceSpans
    .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const attr = (s: ExportedSpan, key: string) => Object.values(s.attributes?.find((a) => a.key === key)?.value ?? {})[0];
const childrenOf = (all: ExportedSpan[], parent: ExportedSpan) => all.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

describe('traces over OTLP/HTTP', () => {
  it('name each statement by what it does, from identifiers only', () => {
    expect(sqlSpanName(`select "seq", "before" from "auditql"."changes" where "table_name" = $1 and x = 'lit'`)).toBe('sql select auditql.changes');
    expect(sqlSpanName(`insert into auditql.dead_letters (raw) values ('${ROW_VALUE}')`)).toBe('sql insert auditql.dead_letters');
    expect(sqlSpanName(`'${ROW_VALUE}' garbage`)).toBe('sql statement');
    expect(sqlSpanName('select 1', 'auditql_page_changes_1')).toBe('sql auditql_page_changes_1');
  });

  it('export an ingest batch (decode, sink write, attribution) and a GraphQL request (parse, validate, execute, SQL) with their parents', async () => {
    const decoder = await loadDecoder('maxwell');
    const run = startIngest({
      pool: w.pool, sourceName: 'traced', source: arraySource([maxwellRow(1, ROW_VALUE), maxwellRow(2, 'bo'), maxwellRow(3, 'cy')]),
      decoderFor: () => decoder, ctx: decodeContext(), live: false, flushMs: 10, log: silentLogger,
    });
    expect((await run.done).stored).toBe(3);
    const r = await postGraphql<{ changes: { edges: unknown[] } }>(api.url, 'query RecentChanges { changes(first: 5) { edges { node { id after actor { dbUser } } } } }');
    expect(r.errors).toBeUndefined();
    expect(JSON.stringify(r.data)).toContain(ROW_VALUE);
    await tracing().flush();
    await until('the request span exported', () => spans().some((s) => s.name === 'graphql.request'));
    const all = spans();

    // Ingest: batch → decode, sink write → attribution settle.
    const batches = all.filter((s) => s.name === 'ingest.batch');
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches.every((b) => b.parentSpanId === undefined || b.parentSpanId === '')).toBe(true);
    expect(batches.reduce((n, b) => n + Number(attr(b, 'auditql.records')), 0)).toBe(3);
    expect(attr(batches[0]!, 'auditql.source')).toBe('traced');
    const names = childrenOf(all, batches[0]!).map((s) => s.name).sort();
    expect(names).toEqual(['ingest.decode', 'ingest.sink_write']);
    const sink = childrenOf(all, batches[0]!).find((s) => s.name === 'ingest.sink_write')!;
    expect(childrenOf(all, sink).map((s) => s.name)).toContain('ingest.attribution_settle');

    // GraphQL: request → parse, validate, execute → SQL statements.
    const req = all.find((s) => s.name === 'graphql.request')!;
    expect(attr(req, 'graphql.operation.name')).toBe('RecentChanges');
    expect(attr(req, 'graphql.operation.type')).toBe('query');
    expect(childrenOf(all, req).map((s) => s.name).sort()).toEqual(['graphql.execute', 'graphql.parse', 'graphql.validate']);
    const exec = childrenOf(all, req).find((s) => s.name === 'graphql.execute')!;
    const sql = childrenOf(all, exec);
    expect(sql.length).toBeGreaterThanOrEqual(2); // the page and the actor batch
    for (const s of sql) expect(s.name).toMatch(/^sql (auditql_[a-z_]+_\d+|[a-z]+( [a-z_]+(\.[a-z_]+)?)?)$/);
    expect(sql.map((s) => s.name).join(' ')).toContain('auditql.');

    // Nothing of the rows, the statements' text or the warehouse's credentials.
    const exported = bodies.join('\n');
    expect(exported).not.toContain(ROW_VALUE);
    expect(exported).not.toMatch(/\$1|where |select "/i);
    const { password } = new URL(w.url);
    expect(exported).not.toMatch(/postgres(ql)?:\/\//);
    const values = all.flatMap((s) => (s.attributes ?? []).map((a) => String(Object.values(a.value)[0])));
    if (password) expect(values).not.toContain(password);
    expect(values.join(' ')).not.toContain(`:${password}@`);
  });
});
