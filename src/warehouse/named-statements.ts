/**
 * Named prepared statements for the hot reads (docs/warehouse.md "Prepared statements").
 *
 * Kysely sends every statement unnamed (`client.query(text, values)`), so PostgreSQL plans it on every
 * execution. Over a partitioned `auditql.changes` (a partition per day, 7 indexes each) planning one
 * entity's page costs more than running it (docs/warehouse.md "Prepared statements"; BENCHMARKS.md
 * bench:query). A named statement is parsed and planned once per connection, then only bound and executed.
 *
 * The mechanism, and its bounds:
 * - **Opt-in per query.** A query function runs its statement through `executeNamed(db, label, sql…)`
 *   instead of `.execute(db)`. That declares the compiled text under `label`. Only texts declared this
 *   way are ever named: DataLoader batches, filters and everything else stay unnamed.
 * - **Bounded per query.** One query function can produce several texts (optional conditions, keyset
 *   after a cursor): each distinct text is a *shape*. A label names at most `MAX_SHAPES_PER_QUERY` shapes,
 *   the first ones seen; later shapes run unnamed. So a connection never holds more than
 *   (opted-in queries × MAX_SHAPES_PER_QUERY) prepared statements, however the inputs vary — node-pg
 *   keeps a connection's named statements for its lifetime and has no eviction, so the bound has to be
 *   on what may be named at all.
 * - **What opts in.** Queries whose best plan does not depend on the values bound: one entity's rows by
 *   `(table_name, key_text)` walk `changes_entity` in every partition whatever the key is, so a generic
 *   plan is as good as a custom one (and PostgreSQL's `plan_cache_mode = auto` still compares them).
 *   A table-wide `whoChanged` page, whose best index depends on the table and window, stays unnamed.
 * - **The pool.** `namingPool` wraps the pg Pool given to Kysely's `PostgresDialect`: a declared text goes
 *   out as node-pg's `{ name, text, values }`. Every client of the pool prepares a statement on its first
 *   use and reuses it while the connection lives. Users of the raw pool (migrations, the sink's COPY) are
 *   not touched.
 * - **Plans stay valid.** PostgreSQL invalidates a cached plan when a relation it depends on changes —
 *   a partition created, attached, detached or dropped by maintenance — and replans on the next execution
 *   (test/integration/named-statements.test.ts drops and creates partitions between two calls). The
 *   statements select named columns, never `*`, so a migration adding a column does not change their
 *   result type.
 * - **Poolers.** A transaction-mode pooler in front of the warehouse must support protocol-level
 *   prepared statements (PgBouncer ≥ 1.21 with `max_prepared_statements`).
 */
import type { Kysely, PostgresPool, PostgresPoolClient, QueryResult, RawBuilder } from 'kysely';
import type pg from 'pg';
import { tracing } from '../trace/tracing.js';
import { sqlSpanName } from '../trace/sql-span-name.js';

/**
 * How many distinct statement texts one opted-in query may name; more run unnamed. 8 covers an entity's
 * page with and without database, schema and cursor. A cached plan over many partitions holds real memory in
 * its backend (docs/warehouse.md "Prepared statements"), so the bound is what keeps a connection's share small.
 */
export const MAX_SHAPES_PER_QUERY = 8;

// Process-wide: a text always maps to the same name, so node-pg's per-connection cache (name → text)
// stays consistent on every connection of every pool.
const nameByText = new Map<string, string>();
const shapesByLabel = new Map<string, number>();

function declare(label: string, text: string): void {
  if (nameByText.has(text)) return;
  const shapes = shapesByLabel.get(label) ?? 0;
  if (shapes >= MAX_SHAPES_PER_QUERY) return;
  shapesByLabel.set(label, shapes + 1);
  nameByText.set(text, `auditql_${label}_${shapes + 1}`);
}

/** The name a statement text runs under, or undefined when it runs unnamed. */
export function statementName(text: string): string | undefined {
  return nameByText.get(text);
}

/**
 * Run a statement as a named prepared statement (on a pool made by `namingPool`). `label` names the query
 * (`[a-z_]+`, e.g. `page_changes`); its shapes are numbered in the order they are first seen.
 */
export function executeNamed<DB, R>(db: Kysely<DB>, label: string, statement: RawBuilder<R>): Promise<QueryResult<R>> {
  const compiled = statement.compile(db);
  declare(label, compiled.sql);
  return db.executeQuery(compiled);
}

type Query = (...args: unknown[]) => unknown;

/** The pool to give Kysely's PostgresDialect: declared texts go out named, everything else unchanged. */
export function namingPool(pool: pg.Pool): PostgresPool {
  // Kysely keeps one connection object per client (a WeakMap keyed by what `connect` returns): hand it the
  // same wrapper every time a client comes back from the pool.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    // Called through the client each time, so a `query` wrapped after connecting (statement counters in
    // tests and benches) still sees what goes out.
    const query: Query = (...args) => (client.query as Query).apply(client, args);
    const send: Query = (...args) => {
      const text = args[0];
      if (typeof text === 'string') {
        const name = nameByText.get(text);
        if (name !== undefined) return query({ name, text, values: args[1] });
      }
      return query(...args);
    };
    const wrapper = {
      query(...args: unknown[]) {
        const t = tracing();
        if (!t.enabled || typeof args[0] !== 'string') return send(...args);
        // One span per statement, named by what it does (sql-span-name.ts): never its text or values.
        const text = args[0];
        return t.span(sqlSpanName(text, nameByText.get(text)), async () => send(...args));
      },
      release: (err?: Error | boolean) => client.release(err),
    } as PostgresPoolClient;
    wrappers.set(client, wrapper);
    return wrapper;
  };
  return {
    async connect() {
      const client = await pool.connect();
      return wrappers.get(client) ?? wrap(client);
    },
    async end() {
      if (!pool.ended && !pool.ending) await pool.end();
    },
  };
}
