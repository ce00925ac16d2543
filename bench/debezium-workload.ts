/**
 * A realistic Debezium PostgreSQL workload for benchmarks: 4 tables of ~10 columns, inserts, updates and
 * deletes over 20,000 entities, schemaless JSON with the connector's `source` block (docs/formats/debezium.md "Envelope", "Source block").
 */
import { createWriteStream, statSync } from 'node:fs';

const TABLES = ['customers', 'orders', 'products', 'order_lines'] as const;
const ENTITIES = 20_000;

function rowFor(table: string, id: number, version: number): Record<string, unknown> {
  const base = { id, version, updated_at: `2026-11-2${id % 10}T10:${String(version % 60).padStart(2, '0')}:00Z`, tenant_id: id % 97 };
  switch (table) {
    case 'customers':
      return { ...base, email: `user${id}.${version}@example.com`, first_name: `First${id % 1000}`, last_name: `Last${id % 777}`, status: version % 3 ? 'active' : 'suspended', credit_limit: `${(id % 5000) + 0.5}`, country: 'DE' };
    case 'orders':
      return { ...base, customer_id: id % 5000, total: `${(id * 7) % 10000}.${version % 100}`, currency: 'EUR', state: ['new', 'paid', 'shipped', 'done'][version % 4], items: version % 9, note: null };
    case 'products':
      return { ...base, sku: `SKU-${id}`, title: `Product ${id} with a reasonably descriptive name`, price: `${id % 300}.99`, stock: (id * 13 + version) % 1000, active: version % 5 !== 0, category: `cat${id % 40}` };
    default:
      return { ...base, order_id: Math.floor(id / 3), product_id: id % 9000, qty: (version % 7) + 1, unit_price: `${id % 300}.99`, discount: `0.${version % 10}`, line_no: id % 3 };
  }
}

/** A number JSON.stringify cannot write exactly: a marked string, unquoted after stringify. */
const exact = (digits: string) => `\u0000${digits}\u0000`;
const EXACT = /"\\u0000(\d+)\\u0000"/g;

/**
 * Debezium PG envelope (schemaless), docs/formats/debezium.md "Envelope" and "Source block"; `server` is the
 * connector's `source.name` (its topic prefix): another server, another stream of the same shape.
 */
export function event(i: number, versions: Map<number, number>, server = 'shop'): string {
  const table = TABLES[i % TABLES.length]!;
  const id = (i * 7919) % ENTITIES;
  const key = id * 4 + (i % TABLES.length);
  const v = versions.get(key) ?? 0;
  const op = v === 0 ? 'c' : i % 50 === 0 ? 'd' : 'u';
  versions.set(key, op === 'd' ? 0 : v + 1);
  const ts = 1_795_000_000_000 + i * 3;
  // Debezium 2.6+ adds ts_us/ts_ns beside ts_ms (docs/formats/debezium.md "Envelope"): commit time in µs from PostgreSQL, and
  // ts_ns = ts_us × 1000 — 19 digits, beyond a double, written as exact digits (see `exact` below).
  const tsUs = ts * 1000 + ((i * 617) % 1000);
  const lsn = 24_023_128 + i * 152;
  const payload = {
    before: op === 'c' ? null : rowFor(table, id, v - 1 < 0 ? 0 : v - 1),
    after: op === 'd' ? null : rowFor(table, id, v),
    source: { version: '2.7.3.Final', connector: 'postgresql', name: server, ts_ms: ts, ts_us: tsUs, ts_ns: exact(`${tsUs}000`), snapshot: 'false', db: 'shop', sequence: `["${lsn - 152}","${lsn}"]`, schema: 'public', table, txId: 700 + Math.floor(i / 3), lsn, xmin: null },
    op,
    ts_ms: ts + 40,
    ts_us: (ts + 40) * 1000 + 211,
    ts_ns: exact(`${(ts + 40) * 1000 + 211}000`),
    transaction: null,
  };
  return JSON.stringify(payload).replace(EXACT, '$1');
}

/** Write `n` events as JSON lines (of connector `server`, default `shop`); returns the file size. */
export async function writeDebeziumWorkload(path: string, N: number, server = 'shop'): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const versions = new Map<number, number>();
  let chunk: string[] = [];
  for (let i = 0; i < N; i++) {
    chunk.push(event(i, versions, server));
    if (chunk.length === 2000) {
      if (!out.write(chunk.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = [];
    }
  }
  out.write(chunk.join('\n') + (chunk.length ? '\n' : ''));
  await new Promise<void>((res) => out.end(() => res()));
  return statSync(path).size;
}

