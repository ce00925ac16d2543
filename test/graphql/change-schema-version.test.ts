/**
 * `Change.schemaChange`: a change is linked to the latest DDL of its table, in the same source, at or before
 * its binlog position — over Maxwell and Debezium (MySQL) streams in which DDL and rows interleave
 * (test/fixtures/schema-version/), ingested through the real file source, pipeline and sink, and asked over
 * HTTP. A page of changes costs one schema-version statement, however many changes it holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingWarehouse, postGraphql } from './helpers.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { decodeContext } from '../../src/decoders/context.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { warehouseSink } from '../../src/ingest/run.js';
import { fileSource } from '../../src/sources/file/file-source.js';
import { parseKeyColumns } from '../../src/model/row-key.js';

let w: TestWarehouse;
let counted: ReturnType<typeof countingWarehouse>;
let api: ApiServer;

async function ingest(format: 'maxwell' | 'debezium', file: string, source: string): Promise<void> {
  const decoder = await loadDecoder(format);
  const ctx = decodeContext({ keyColumns: parseKeyColumns(['inventory.customers=id']) });
  const summary = await new IngestPipeline({
    sourceName: source, source: fileSource({ paths: [`${FIXTURES}schema-version/${file}`], logFramer: null }),
    decoderFor: () => decoder, ctx, sink: warehouseSink(w.pool), batchSize: 50,
  }).run();
  expect(summary.deadLettered).toBe(0);
}

beforeAll(async () => {
  w = await freshWarehouse();
  await ingest('maxwell', 'maxwell.jsonl', 'mx');
  await ingest('debezium', 'debezium.jsonl', 'dbz');
  // The same Maxwell stream under another source name: its DDL is not the first source's.
  await ingest('maxwell', 'maxwell.jsonl', 'mx-copy');
  counted = countingWarehouse(w.url);
  api = await startApiServer({ warehouse: counted, auth: { mode: 'none' }, port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await api?.close();
  await counted?.close();
  await w?.destroy();
});

interface Node { source: string; table: string; operation: string; key: Record<string, unknown>; schemaChange: { changeType: string; ddl: string; source: string; position: string } | null }

const QUERY = `query { changes(first: 100) { nodes { source table operation key schemaChange { changeType ddl source position } } } }`;

describe('Change.schemaChange', () => {
  it('is the latest DDL of the table at or before the change, in the same source', async () => {
    counted.statements.length = 0;
    const r = await postGraphql<{ changes: { nodes: Node[] } }>(api.url, QUERY);
    expect(r.errors).toBeUndefined();
    const nodes = r.data!.changes.nodes;
    const version = (source: string) => nodes
      .filter((n) => n.source === source)
      .map((n) => [n.table, n.operation, JSON.stringify(n.key), n.schemaChange?.changeType ?? null, n.schemaChange?.ddl ?? null])
      .reverse(); // oldest first, as the stream ran
    const create = 'CREATE TABLE customers (customer_id int primary key, email varchar(255))';
    const alter = 'ALTER TABLE customers ADD COLUMN tier varchar(16)';
    expect(version('mx')).toEqual([
      ['customers', 'INSERT', '{"customer_id":1}', null, null], // before any DDL of the table
      ['customers', 'INSERT', '{"customer_id":2}', 'table-create', create],
      ['customers', 'UPDATE', '{"customer_id":2}', 'table-alter', alter],
      ['orders', 'INSERT', '{"id":7}', null, null], // no DDL of that table
      ['customers', 'INSERT', '{"customer_id":3}', 'table-alter', alter], // a later binlog file
    ]);
    expect(version('dbz')).toEqual([
      ['customers', 'INSERT', '{"id":1}', 'CREATE', 'CREATE TABLE customers (id INT NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL)'],
      ['customers', 'UPDATE', '{"id":1}', 'ALTER', 'ALTER TABLE customers ADD COLUMN tier VARCHAR(16)'],
    ]);
    // Each links to its own source's DDL.
    for (const n of nodes) if (n.schemaChange) expect(n.schemaChange.source).toBe(n.source);
    // One statement for every schemaChange of the page.
    expect(counted.statements.filter((s) => s.includes('binlog_file'))).toHaveLength(1);
  });
});
