/**
 * Writes many rows into one table: by `COPY … FROM STDIN` (copy-stream.ts, the normal path), or — on a
 * server that cannot take COPY FROM STDIN over the wire protocol — by one `INSERT … SELECT FROM unnest(…)`
 * with one text array per column, cast to the column's type. Same rows, same order, either way.
 *
 * The only such server known is PGlite (PostgreSQL compiled to WebAssembly, used by the TimescaleDB tests:
 * docs/warehouse.md "TimescaleDB"): a COPY FROM STDIN reaching it over a socket traps the WebAssembly
 * instance and the database is gone, so the capability cannot be probed by trying. It is recognised by its
 * `version()` (compiled by emcc, Emscripten), once per connection.
 */
import type pg from 'pg';
import type { ColumnSpec } from './columns.js';
import { copyRow } from './copy-text.js';
import { copyRows } from './copy-stream.js';

type Cell = string | number | boolean | null;

/** The two statements that write rows into one table's columns; made once per table (bulkTarget). */
export interface BulkTarget {
  readonly copy: string;
  readonly insert: string;
  readonly width: number;
}

export function bulkTarget(table: string, columns: readonly Pick<ColumnSpec<never>, 'column' | 'type'>[]): BulkTarget {
  const names = columns.map((c) => c.column).join(', ');
  const casts = columns.map((c, i) => (c.type === 'text' ? `u.c${i}` : `u.c${i}::${c.type}`)).join(', ');
  const arrays = columns.map((_c, i) => `$${i + 1}::text[]`).join(', ');
  const aliases = columns.map((_c, i) => `c${i}`).join(', ');
  return Object.freeze({
    copy: `COPY ${table} (${names}) FROM STDIN`,
    insert: `INSERT INTO ${table} (${names}) SELECT ${casts} FROM unnest(${arrays}) AS u(${aliases})`,
    width: columns.length,
  });
}

const copyIn = new WeakMap<pg.PoolClient, Promise<boolean>>();

/** Whether this connection's server takes COPY FROM STDIN (everything but PGlite). Asked once per connection. */
export function copyInSupported(client: pg.PoolClient): Promise<boolean> {
  let known = copyIn.get(client);
  if (!known) {
    known = client.query<{ wasm: boolean }>(`SELECT version() ~ 'Emscripten|emcc' AS wasm`).then((r) => !r.rows[0]!.wasm);
    copyIn.set(client, known);
    known.catch(() => copyIn.delete(client));
  }
  return known;
}

const asText = (v: Cell): string | null => (v === null ? null : typeof v === 'boolean' ? (v ? 't' : 'f') : String(v));

/** Write `n` rows; `cells(i)` returns row i's values in the target's column order. Rejects with the server's error. */
export async function bulkWrite(client: pg.PoolClient, target: BulkTarget, n: number, cells: (i: number) => readonly Cell[]): Promise<void> {
  if (await copyInSupported(client)) {
    await copyRows(client, target.copy, n, (i) => copyRow(cells(i)));
    return;
  }
  const columns = Array.from({ length: target.width }, () => new Array<string | null>(n));
  for (let i = 0; i < n; i++) {
    const row = cells(i);
    for (let c = 0; c < columns.length; c++) columns[c]![i] = asText(row[c] ?? null);
  }
  await client.query(target.insert, columns);
}
