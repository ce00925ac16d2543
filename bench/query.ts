/**
 * `npm run bench:query` (BENCHMARKS.md "bench:query"): `entityHistory(first: 20)` over HTTP against the very SQL the
 * resolver runs, executed directly through `pg`, and against PostGraphile v5 serving the same rows, on
 * warehouses of several retention spans, in one run. Targets (BENCHMARKS.md): flat_ratio ≤ 1.3,
 * gql_sql_throughput ≥ 0.67, vs_postgraphile ≥ 2, GraphQL p50 ≤ 1.5 ms at the smallest span.
 *
 * 1. A PostgreSQL: DATABASE_URL's server, or a fresh embedded one in a temp dir (thrown away afterwards, its
 *    lock table enlarged for thousands of partitions). One database per span: `<name>_p<span>`.
 * 2. For each span of BENCH_SPANS (default 33,368,2555: daily partitions, the default partition on top), the
 *    same BENCH_CHANGES (default 300,000) changes over BENCH_ENTITIES (default 3,000) entities, spread evenly
 *    over that many days ending now. The partitions are made by `auditql.ensure_daily_partition` (what
 *    PartitionManager calls), a few hundred days per statement; the rows by `INSERT … SELECT
 *    generate_series`, in time order, a chunk covering at most as many days. Rows carry exactly the
 *    columns the sink fills (checked against CHANGE_COLUMNS), Debezium-like positions and `extra`, and
 *    before/after rows of 11 columns whose changed_fields are derived from them. The load is not measured;
 *    a rerun against the same DATABASE_URL reuses rows already loaded.
 * 3. The real API server (`startApiServer`) in a worker thread, so the HTTP client never shares its event
 *    loop. One request per entity records the statements the server runs for it, and how: unnamed, or as a
 *    named prepared statement (src/warehouse/named-statements.ts); through the entity locator a page is
 *    the locator's named statement and a page statement naming the partitions of that entity's days. The
 *    raw side replays exactly those statements the same way through a plain `pg` client: the baseline.
 *    The rows are loaded around the sink, so the locators are filled from them as the migrations do.
 * 4. PostGraphile v5 (postgraphile-peer.ts) in another worker thread, over a view of the same rows, as a
 *    member of `auditql_reader`, asked the equivalent query. All three must return the same page.
 * 5. Sequential (GraphQL, the SQL both ways and PostGraphile interleaved on the same random entity, taking
 *    turns to go first) and BENCH_CONCURRENCY-way concurrent (req/s), one side at a time.
 *    For reference, the same SQL sent the other way (unnamed when the server names it, named when it does
 *    not), PostgreSQL's planning and execution times for the unnamed statement, and for the named one after
 *    thousands of executions: generic or custom plan, its shape, and the memory its cached plan holds.
 * Each span ends with a machine-readable line: `partitions=… graphql_p50_ms=… graphql_p99_ms=… sql_p50_ms=…
 * sql_p99_ms=… postgraphile_p50_ms=… postgraphile_p99_ms=… graphql_rps=… sql_rps=… postgraphile_rps=…
 * gql_sql_throughput=… vs_postgraphile=… ratio=… unnamed_sql_p50_ms=… unnamed_ratio=…`. The last line
 * keeps the keys earlier versions printed, for the first span (`graphql_p50_ms=… graphql_p99_ms=…
 * sql_p50_ms=… sql_p99_ms=… ratio=… unnamed_sql_p50_ms=… unnamed_ratio=…`, sql_* being the SQL as the server
 * sends it), and adds `flat_ratio=` (GraphQL p50 at the last span / at the first), `gql_sql_throughput=`
 * (GraphQL req/s / SQL req/s) and `vs_postgraphile=` (our req/s / PostGraphile's), both at the first span
 * and BENCH_CONCURRENCY in flight; `n/a` where PostGraphile did not run (the reason is printed).
 */
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import { startApiServer } from '../src/graphql/server.js';
import { silentLogger } from '../src/log.js';
import { keyText } from '../src/model/row-key.js';
import { CHANGE_COLUMNS } from '../src/warehouse/columns.js';
import { splitExtra } from '../src/warehouse/source-blocks.js';
import { openWarehouse } from '../src/warehouse/db.js';
import { migrate } from '../src/warehouse/migrate.js';
import { ensureDatabase } from '../src/warehouse/connect.js';
import { dayOf } from '../src/warehouse/partitions.js';
import { PEER_SCHEMA, peerQuery, peerUrl, preparePeer, type FromPeer } from './postgraphile-peer.js';
import { intEnv, scratchPostgres, workerChannel, type ScratchPostgres } from './support.js';

const SOURCE = 'auditql-bench';
const TABLES = ['customers', 'orders'] as const;
/** Each table's shared block of `extra`, as the sink would store it. */
const BLOCKS = TABLES.map((table) => ({
  table, ...splitExtra({ connector: 'postgresql', version: '2.7.3.Final', topic: `shop.public.${table}` }).block!,
}));
const PAGE = 20;
/** max_locks_per_transaction of the bench's embedded PostgreSQL (the default is 64). */
const LOCKS_PER_TRANSACTION = 1024;
const QUERY = `query BenchEntityHistory($table: String!, $key: JSON!) {
  entityHistory(table: $table, key: $key, first: ${PAGE}) {
    edges { cursor node { id operation committedAt table key before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Statement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** The prepared statement name the server used (src/warehouse/named-statements.ts), if any. */
  readonly name?: string;
}
type ToWorker = { readonly type: 'capture'; readonly on: boolean } | { readonly type: 'stop' };
type FromWorker =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'captured'; readonly statements: readonly Statement[] }
  | { readonly type: 'stopped' };

// ───────────────────────────── server side (worker thread) ─────────────────────────────

async function serve(url: string): Promise<void> {
  const port = parentPort!;
  const warehouse = openWarehouse(url, { max: 10, applicationName: 'auditql-bench-api' });
  // Record what the resolvers send to PostgreSQL while capturing is on: `query(text, values)`, or
  // `query({ name, text, values })` for a named prepared statement.
  let captured: Statement[] | null = null;
  warehouse.pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query: (...args: unknown[]) => {
        const [a, b] = args as [unknown, unknown];
        if (captured && typeof a === 'string') captured.push({ text: a, values: (b as unknown[]) ?? [] });
        else if (captured && a && typeof a === 'object' && typeof (a as Statement).text === 'string' && typeof (a as Statement).name === 'string') {
          const q = a as Statement;
          captured.push({ text: q.text, values: q.values ?? [], name: q.name });
        }
        return query(...args);
      },
    });
  });
  const server = await startApiServer({ warehouse, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', log: silentLogger });
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'capture') {
      if (m.on) captured = [];
      else {
        port.postMessage({ type: 'captured', statements: captured ?? [] } satisfies FromWorker);
        captured = null;
      }
    } else {
      await server.close();
      await warehouse.close();
      port.postMessage({ type: 'stopped' } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'ready', url: server.url } satisfies FromWorker);
}

// ───────────────────────────── load ─────────────────────────────

/** SQL for one row image of entity `id` of table `tbl` at version `v` (0 = inserted), as of `ts`. */
function rowImage(tbl: string, id: string, version: string, ts: string): string {
  const v = `(${version})`;
  return `case when ${tbl} = 'customers' then jsonb_build_object(
      'id', ${id}, 'first_name', 'Ada' || ${id}, 'last_name', 'Lovelace' || (${id} % 997),
      'email', 'user' || ${id} || '+' || (${v} / 4) || '@example.com',
      'phone', '+1-555-' || lpad(((${id} * 7 + ${v}) % 10000)::text, 4, '0'),
      'status', (array['active','active','suspended','active','closed'])[1 + ${v} % 5],
      'tier', (array['bronze','silver','gold'])[1 + (${v} / 10) % 3],
      'credit_limit', round((${id} % 50) * 100 + ${v} * 2.5, 2),
      'city', (array['Lisbon','Oslo','Lyon','Austin','Osaka'])[1 + ${id} % 5], 'country', (array['PT','NO','FR','US','JP'])[1 + ${id} % 5],
      'updated_at', to_char(${ts} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    else jsonb_build_object(
      'id', ${id}, 'customer_id', 1000 + (${id} * 31) % 5000,
      'status', (array['placed','paid','packed','shipped','delivered','returned'])[1 + ${v} % 6],
      'total', round(10 + (${id} % 400) + ${v} * 0.75, 2), 'currency', 'EUR', 'items', 1 + (${id} + ${v}) % 9,
      'shipping_method', (array['standard','express'])[1 + ${id} % 2], 'carrier', (array['DHL','UPS','PostNL'])[1 + ${v} % 3],
      'tracking_no', case when ${v} % 6 >= 3 then 'TRK' || lpad((${id} * 13 + ${v})::text, 10, '0') end,
      'placed_at', '2026-01-01T00:00:00Z', 'updated_at', to_char(${ts} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    end`;
}

/** Every column the sink writes (src/warehouse/columns.ts) → its generated value; checked at run time. */
function insertSql(entities: number): string {
  const cols: Record<string, string> = {
    seq: '$1::bigint + g',
    source: `'${SOURCE}'`,
    position: `'shop.public.' || t.tbl || '/0/' || g`,
    part_at: 't.ts',
    format: `'debezium'`,
    operation: `case when k.v = 0 then 'INSERT' else 'UPDATE' end`,
    database_name: `'shop'`,
    schema_name: `'public'`,
    table_name: 't.tbl',
    // as the sink stores them: the key NULL (it is the image's id, derived on read: src/warehouse/stored-key.ts),
    // the stream's facts in a shared block (src/warehouse/source-blocks.ts)
    key: 'null',
    key_text: `'[["id","' || t.id || '"]]'`,
    key_source: `'RECORD_KEY'`,
    before: 'r.b',
    after: 'r.a',
    before_complete: 'true',
    unknown_before: `'{}'`,
    unknown_after: `'{}'`,
    changed_fields: `array(select x.key from jsonb_each(r.a) x where r.b is null or x.value is distinct from r.b -> x.key)`,
    tx_id: `(7000000 + g)::text`,
    tx_order: '1',
    committed_at: 't.ts',
    committed_at_source: `'SOURCE'`,
    server: `'shop'`,
    connection: 'null',
    source_user: 'null',
    extra: `jsonb_build_object('ts_us', (extract(epoch from t.ts) * 1000000)::bigint + 1500, 'lsn', 240000000 + g * 912,
      'sequence', '["' || (240000000 + g * 912 - 912) || '","' || (240000000 + g * 912) || '"]')`,
    extra_block: `(case t.tbl ${BLOCKS.map((b) => `when '${b.table}' then '${b.id}'::uuid`).join(' ')} end)`,
  };
  const expected = ['seq', 'source', 'position', ...CHANGE_COLUMNS.map((c) => c.column)].sort();
  if (JSON.stringify(Object.keys(cols).sort()) !== JSON.stringify(expected)) {
    throw new Error(`bench rows drifted from the sink's columns: ${JSON.stringify(expected)}`);
  }
  // $1 seq offset, $2 first g, $3 last g, $4 start time, $5 seconds per change
  const tsOf = (g: string) => `($4::timestamptz + (${g} - 1) * $5::float8 * interval '1 second')`;
  return `INSERT INTO auditql.changes (${Object.keys(cols).join(', ')})
    SELECT ${Object.values(cols).join(',\n      ')}
    FROM generate_series($2::bigint, $3::bigint) g
    CROSS JOIN LATERAL (SELECT (g - 1) % ${entities} + 1 AS e, (g - 1) / ${entities} AS v) k
    CROSS JOIN LATERAL (SELECT (array['${TABLES.join("','")}'])[1 + k.e % ${TABLES.length}] AS tbl, 1000 + k.e AS id, ${tsOf('g')} AS ts) t
    CROSS JOIN LATERAL (SELECT ${rowImage('t.tbl', 't.id', 'k.v', 't.ts')} AS a,
      CASE WHEN k.v = 0 THEN NULL ELSE ${rowImage('t.tbl', 't.id', 'k.v - 1', tsOf(`g - ${entities}`))} END AS b
      OFFSET 0) r`; // OFFSET 0: build each image once, not once per jsonb_each row
}

interface Loaded {
  readonly changes: number;
  readonly entities: number;
  readonly partitions: number;
  /** Null when the rows were already there (a rerun against the same DATABASE_URL). */
  readonly loadSeconds: number | null;
  readonly tableBytes: number;
}

/** Days of partitions per statement: each statement is one transaction, and its locks must fit the lock table. */
const PARTITIONS_PER_STATEMENT = 200;

/**
 * `changes` changes over `entities` entities, spread evenly over `span` days ending now, each day in its
 * own daily partition. The partitions come first, `PARTITIONS_PER_STATEMENT` days per statement (the same
 * function PartitionManager calls); then the rows, in time order, by one generate_series INSERT per chunk,
 * a chunk covering at most that many days.
 */
async function load(pool: pg.Pool, changes: number, entities: number, span: number, log: (m: string) => void): Promise<Loaded> {
  const existing = await pool.query<{ n: string }>(`select count(*) as n from auditql.changes where source = $1`, [SOURCE]);
  const t0 = performance.now();
  const reused = Number(existing.rows[0]!.n) === changes;
  if (reused) {
    log(`reusing ${changes} ${SOURCE} changes already in the warehouse`);
  } else {
    if (Number(existing.rows[0]!.n) !== 0) throw new Error(`the warehouse holds ${existing.rows[0]!.n} ${SOURCE} changes, not ${changes}: use another database`);
    // The first change at the start of the oldest day, the last one a minute before now (today's partition).
    const end = Date.now() - 60_000;
    const firstDay = Date.parse(`${dayOf(new Date(end - (span - 1) * 86_400_000))}T00:00:00Z`);
    for (let d = 0; d < span; d += PARTITIONS_PER_STATEMENT) {
      const from = dayOf(new Date(firstDay + d * 86_400_000));
      const to = dayOf(new Date(firstDay + Math.min(span - 1, d + PARTITIONS_PER_STATEMENT - 1) * 86_400_000));
      await pool.query(`select count(*) filter (where auditql.ensure_daily_partition('changes', d::date)) from generate_series($1::date, $2::date, interval '1 day') d`, [from, to]);
    }
    log(`  ${span} daily partitions (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const offset = (await pool.query<{ s: string }>(`select coalesce(max(seq), 0) as s from auditql.changes`)).rows[0]!.s;
    await pool.query(`insert into auditql.source_blocks (id, block) select * from unnest($1::uuid[], $2::jsonb[]) on conflict do nothing`,
      [BLOCKS.map((b) => b.id), BLOCKS.map((b) => b.text)]);
    const text = insertSql(entities);
    const chunk = Math.max(1, Math.min(50_000, Math.floor((changes * PARTITIONS_PER_STATEMENT) / span)));
    const secondsPerChange = ((end - firstDay) / 1000) / changes;
    let nextLo = 1;
    let done = 0;
    // Two chunks at a time (one per core); each row's seq, time and images depend only on its number.
    await Promise.all([0, 1].map(async () => {
      while (nextLo <= changes) {
        const lo = nextLo;
        const hi = Math.min(changes, lo + chunk - 1);
        nextLo = hi + 1;
        await pool.query(text, [offset, lo, hi, new Date(firstDay).toISOString(), secondsPerChange]);
        done += hi - lo + 1;
        if (done === changes || hi % 50_000 < chunk) log(`  loaded ${done.toLocaleString('en')} / ${changes.toLocaleString('en')} changes (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }));
    await pool.query(`select setval('auditql.feed_seq', greatest((select max(seq) from auditql.changes), 1))`);
    // The rows came in around the sink, so its locators know nothing of them: fill them as the migrations'
    // backfills do (migrations/042_entity_locator.sql, 048_tx_locator.sql), what the sink writes per batch.
    log('  the entity and transaction locators, from the rows');
    await pool.query(`insert into auditql.entity_parts (table_name, key_text, database_name, schema_name, part_day, n)
      select table_name, key_text, database_name, schema_name, (part_at at time zone 'UTC')::date, count(*)
        from auditql.changes where source = $1 group by 1, 2, 3, 4, 5`, [SOURCE]);
    await pool.query(`insert into auditql.tx_parts (tx_id, server, relation, part_day)
      select distinct tx_id, server, 'changes', (part_at at time zone 'UTC')::date from auditql.changes
       where source = $1 and tx_id is not null`, [SOURCE]);
    log('  vacuum analyze auditql.changes');
    await pool.query('vacuum analyze auditql.changes');
  }
  const parts = await pool.query<{ n: number; bytes: string }>(
    `select count(*)::int as n, sum(pg_total_relation_size(inhrelid))::bigint as bytes from pg_inherits where inhparent = 'auditql.changes'::regclass`);
  return {
    changes,
    entities,
    partitions: parts.rows[0]!.n,
    loadSeconds: reused ? null : (performance.now() - t0) / 1000,
    tableBytes: Number(parts.rows[0]!.bytes),
  };
}

// ───────────────────────────── measurement ─────────────────────────────

interface Target {
  readonly table: string;
  readonly key: { readonly id: number };
}

interface PeerResponse {
  readonly data?: { readonly allChanges: { readonly edges: { readonly node: { readonly committedAt: string } }[] } };
  readonly errors?: unknown[];
}

interface HistoryResponse {
  readonly data?: { readonly entityHistory: { readonly edges: { readonly node: { readonly committedAt: string } }[] } };
  readonly errors?: unknown[];
}

function graphqlClient<V = Target, R = HistoryResponse>(endpoint: string, agent: http.Agent, query = QUERY) {
  const url = new URL(endpoint);
  return (variables: V): Promise<R> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ query, variables });
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch (err) {
              reject(err);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/**
 * How the raw side sends a statement: `server` exactly as the server did (named when it was), `unnamed`
 * as a plain `query(text, values)` (planned on every execution), `named` as a named prepared statement
 * whatever the server did.
 */
type Way = 'server' | 'unnamed' | 'named';

const entityOf = (t: Target) => `${t.table}/${t.key.id}`;

/**
 * Replays, for an entity, exactly the statements the server ran for it (captured per entity: a page read
 * through the entity locator names the partitions of that entity's days, so its text differs by entity).
 */
function replayer(byEntity: ReadonlyMap<string, readonly Statement[]>) {
  const names = new Map<string, string>();
  return (client: pg.Pool | pg.Client, t: Target, way: Way = 'server') => {
    const statements = byEntity.get(entityOf(t));
    if (!statements) throw new Error(`no statements captured for ${entityOf(t)}`);
    const run = async () => {
      let rows: { committedAt: Date | null }[] = [];
      for (const s of statements) {
        let name = way === 'unnamed' ? undefined : s.name;
        if (way === 'named' && !name) {
          name = names.get(s.text) ?? `bench_${names.size}`;
          names.set(s.text, name);
        }
        const r = await (name ? client.query({ name, text: s.text, values: s.values as unknown[] }) : client.query(s.text, s.values as unknown[]));
        // the page is the statement that returns rows with a commit time (the locator's returns days)
        if (rows.length === 0 && r.rows.length > 0 && 'committedAt' in (r.rows[0] as object)) rows = r.rows as { committedAt: Date | null }[];
      }
      return rows;
    };
    return run();
  };
}

/**
 * The named statement after many executions on `client`: the plan PostgreSQL now uses (generic or custom),
 * its planning and execution time (EXPLAIN ANALYZE EXECUTE, median of 20), and the memory its cached
 * plans hold in that backend.
 */
async function preparedPlan(client: pg.Client, name: string, values: readonly unknown[]) {
  const counts = await client.query<{ generic_plans: string; custom_plans: string }>(
    'select generic_plans, custom_plans from pg_prepared_statements where name = $1', [name]);
  const p: number[] = [];
  const e: number[] = [];
  let plan = '';
  for (let i = 0; i < 20; i++) {
    // EXECUTE takes no bind parameters: the values go in as literals.
    const args = values.map((v) => (typeof v === 'number' ? String(v) : client.escapeLiteral(String(v)))).join(', ');
    const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) EXECUTE ${name}(${args})`);
    plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
    p.push(Number(/Planning Time: ([\d.]+)/.exec(plan)?.[1] ?? NaN));
    e.push(Number(/Execution Time: ([\d.]+)/.exec(plan)?.[1] ?? NaN));
  }
  const mem = await client.query<{ bytes: string }>(
    `select coalesce(sum(total_bytes), 0)::bigint as bytes from pg_backend_memory_contexts where name in ('CachedPlan', 'CachedPlanSource', 'CachedPlanQuery')`);
  return {
    generic: Number(counts.rows[0]?.generic_plans ?? NaN),
    custom: Number(counts.rows[0]?.custom_plans ?? NaN),
    planning: summary(p).p50,
    execution: summary(e).p50,
    // "Index Scan using changes_p20261024_table_name_key_text_part_at_seq_idx on changes_p20261024 c_1" → one kind per partition.
    scans: plan.split('\n').flatMap((l) => {
      const m = /(Index Only Scan|Index Scan|Seq Scan|Bitmap Heap Scan)(?: using (\S+))?/.exec(l);
      return m ? [m[2] ? `${m[1]} using ${m[2].replace(/_p\d{8}_/, '_p*_')}` : m[1]!] : [];
    }),
    top: plan.split('\n').slice(0, 2).map((l) => l.replace(/^\s*(->\s*)?/, '').replace(/\s+\(.*$/, '')),
    cachedPlanBytes: Number(mem.rows[0]!.bytes),
  };
}

/** Median planning and execution time of a statement (EXPLAIN ANALYZE on the same connection). */
async function planningMs(client: pg.Client, s: Statement): Promise<{ planning: number; execution: number }> {
  const p: number[] = [];
  const e: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, TIMING OFF) ${s.text}`, s.values as unknown[]);
    const text = r.rows.map((x) => x['QUERY PLAN']).join('\n');
    p.push(Number(/Planning Time: ([\d.]+)/.exec(text)?.[1] ?? NaN));
    e.push(Number(/Execution Time: ([\d.]+)/.exec(text)?.[1] ?? NaN));
  }
  return { planning: summary(p).p50, execution: summary(e).p50 };
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (x: number) => x.toFixed(3);

function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s[s.length - 1]!, n: s.length };
}

interface Knobs {
  readonly changes: number;
  readonly entities: number;
  readonly iterations: number;
  readonly concurrency: number;
  readonly log: (m: string) => void;
}

type Summary = ReturnType<typeof summary>;
type Rate = Summary & { readonly rps: number };

/** What one warehouse (one span of daily partitions) measured. */
interface SpanResult {
  readonly span: number;
  readonly loaded: Loaded;
  readonly pgVersion: string;
  readonly statements: readonly Statement[];
  readonly serverWay: string;
  readonly otherWay: Way;
  readonly floor: Summary;
  readonly gql: Summary;
  readonly sql: Summary;
  readonly other: Summary;
  readonly gqlConc: Rate;
  readonly sqlConc: Rate;
  /** PostGraphile's figures, or why it did not run. */
  readonly peer: { readonly seq: Summary; readonly conc: Rate; readonly polyfilled: boolean } | { readonly failed: string };
  readonly planning: { planning: number; execution: number };
  readonly named: Awaited<ReturnType<typeof preparedPlan>>;
  readonly load0: number;
  readonly load1: number;
}

/** Start PostGraphile in its worker; null and the reason when it cannot run here. */
async function startPeer(url: string): Promise<{ worker: Worker; url: string; polyfilled: boolean } | { failed: string }> {
  const worker = new Worker(new URL('./postgraphile-peer.js', import.meta.url), {
    workerData: { peer: peerUrl(url) }, env: { ...process.env, GRAPHILE_ENV: 'production' },
  });
  const m = await new Promise<FromPeer | { type: 'error'; reason: string }>((res) => {
    worker.once('message', res);
    worker.once('error', (err) => res({ type: 'error', reason: err.stack ?? String(err) }));
  });
  if (m.type === 'ready') return { worker, url: m.url, polyfilled: m.polyfilled };
  await worker.terminate();
  return { failed: m.type === 'stopped' ? 'stopped at once' : m.reason };
}

async function stopWorker(worker: Worker, isStopped: (m: { type: string }) => boolean): Promise<void> {
  worker.postMessage({ type: 'stop' });
  await new Promise<void>((res) => {
    const timer = setTimeout(res, 10_000);
    worker.on('message', (m: { type: string }) => isStopped(m) && (clearTimeout(timer), res()));
  });
  await worker.terminate();
}

async function measureSpan(url: string, span: number, k: Knobs): Promise<SpanResult> {
  const { changes, entities, iterations, concurrency, log } = k;
  const setup = openWarehouse(url, { max: 4, applicationName: 'auditql-bench-load' });
  let loaded: Loaded;
  let pgVersion: string;
  try {
    await migrate(setup.pool);
    pgVersion = (await setup.pool.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]!.v;
    log(`[${span} partitions] loading ${changes.toLocaleString('en')} changes over ${entities.toLocaleString('en')} entities`);
    loaded = await load(setup.pool, changes, entities, span, log);
    await preparePeer(setup.pool);
  } finally {
    await setup.close();
  }

  const workers: (() => Promise<void>)[] = [];
  const raw = new pg.Client({ connectionString: url, application_name: 'auditql-bench-sql' });
  const rawPool = new pg.Pool({ connectionString: url, max: concurrency, application_name: 'auditql-bench-sql' });
  // If the run fails, the warehouse stops under these connections: let the failure itself be reported.
  raw.on('error', () => {});
  rawPool.on('error', () => {});
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const channel = workerChannel<ToWorker, FromWorker>(new Worker(new URL(import.meta.url), { workerData: { url } }), 'bench:query server');
    const w = channel.worker;
    workers.push(() => stopWorker(w, (m) => m.type === 'stopped'));
    const ready = await channel.next();
    if (ready.type !== 'ready') throw new Error('server worker did not start');
    log(`[${span} partitions] server: ${ready.url} (worker thread)`);
    const peer = await startPeer(url);
    if ('worker' in peer) {
      workers.push(() => stopWorker(peer.worker, (m) => m.type === 'stopped'));
      log(`[${span} partitions] PostGraphile: ${peer.url} (worker thread${peer.polyfilled ? '; Promise.withResolvers polyfilled for Node 20' : ''})`);
    } else log(`[${span} partitions] PostGraphile did not start: ${peer.failed}`);

    const gql = graphqlClient(ready.url, agent);
    const pgl = 'url' in peer ? graphqlClient<{ table: string; keyText: string }, PeerResponse>(peer.url, agent, peerQuery(PAGE)) : null;
    const pglAsk = pgl ? (t: Target) => pgl({ table: t.table, keyText: keyText(t.key) }) : null;
    const target = (i: number): Target => {
      const e = 1 + (Math.imul(i + 1, 2_654_435_761) >>> 0) % entities;
      return { table: TABLES[e % TABLES.length]!, key: { id: 1000 + e } };
    };

    // Warm-up (the server's first request also probes the warehouse's read paths), then the statements one
    // request runs, captured for every entity: the raw side replays exactly what the server sent for it.
    const warm = target(0);
    const first = await gql(warm);
    if (first.errors || !first.data) throw new Error(`entityHistory failed: ${JSON.stringify(first.errors)}`);
    const byEntity = new Map<string, Statement[]>();
    for (let e = 1; e <= entities; e++) {
      const t: Target = { table: TABLES[e % TABLES.length]!, key: { id: 1000 + e } };
      w.postMessage({ type: 'capture', on: true } satisfies ToWorker);
      const r = await gql(t);
      w.postMessage({ type: 'capture', on: false } satisfies ToWorker);
      const cap = await channel.next();
      if (cap.type !== 'captured') throw new Error('no statements captured');
      if (r.errors || !r.data) throw new Error(`entityHistory failed: ${JSON.stringify(r.errors)}`);
      byEntity.set(entityOf(t), cap.statements.filter((s) => !/^\s*(begin|commit|rollback)\b/i.test(s.text)));
    }
    const statements = byEntity.get(entityOf(warm))!;
    log(`one entityHistory(first: ${PAGE}) request ran ${statements.length} SQL statement(s) (statements captured for all ${entities} entities):`);
    for (const s of statements) log(`  ${s.name ? `[named ${s.name}] ` : '[unnamed] '}${s.text.replace(/\s+/g, ' ').slice(0, 400)}  -- ${JSON.stringify(s.values)}`);
    const serverWay = statements.every((s) => s.name) ? 'named prepared statement' : statements.some((s) => s.name) ? 'partly named' : 'unnamed statement';
    const replay = replayer(byEntity);
    await raw.connect();

    // Same answer every way (a page of PAGE rows, newest first; the SQL fetches one more to tell hasNextPage).
    const times = (r: HistoryResponse | PeerResponse | undefined, field: 'entityHistory' | 'allChanges') =>
      ((r?.data as Record<string, { edges: { node: { committedAt: string } }[] }> | undefined)?.[field]?.edges ?? []).map((e) => Date.parse(e.node.committedAt));
    for (let i = 0; i < 20; i++) {
      const t = target(i);
      const a = times(await gql(t), 'entityHistory');
      const b = (await replay(raw, t)).slice(0, PAGE).map((x) => x.committedAt?.getTime());
      const c = pglAsk ? times(await pglAsk(t), 'allChanges') : a;
      if (JSON.stringify(a) !== JSON.stringify(b) || JSON.stringify(a) !== JSON.stringify(c) || a.length !== Math.min(PAGE, Math.ceil(changes / entities))) {
        throw new Error(`GraphQL, SQL and PostGraphile disagree for ${JSON.stringify(t)}: ${JSON.stringify({ a, b, c })}`);
      }
    }
    // The raw side's reference way: unnamed when the server names its statement, named when it does not.
    const otherWay: Way = statements.some((s) => s.name) ? 'unnamed' : 'named';
    const okGql = async (t: Target) => { const g = await gql(t); if (!g.data) throw new Error(`entityHistory failed: ${JSON.stringify(g.errors)}`); };
    const okPgl = pglAsk && (async (t: Target) => { const g = await pglAsk(t); if (!g.data) throw new Error(`PostGraphile failed: ${JSON.stringify(g.errors)}`); });
    for (let i = 0; i < 500; i++) {
      await okGql(target(i));
      await replay(raw, target(i));
      await replay(raw, target(i), otherWay);
      if (okPgl) await okPgl(target(i));
    }

    // The fixed cost of a request: HTTP + Apollo + an empty operation, no SQL.
    const floor = graphqlClient(ready.url, agent, '{ __typename }');
    const fSeq: number[] = [];
    for (let i = 0; i < 500; i++) await floor(target(i));
    for (let i = 0; i < Math.min(iterations, 2000); i++) {
      const t0 = performance.now();
      await floor(target(i));
      fSeq.push(performance.now() - t0);
    }

    // Sequential, interleaved: the same entity every way, back to back, taking turns to go first
    // (whoever reads an entity first pays for its cold pages).
    log(`[${span} partitions] sequential: ${iterations} requests each way`);
    const load0 = loadavg()[0]!;
    const gSeq: number[] = [];
    const sSeq: number[] = [];
    const oSeq: number[] = [];
    const pSeq: number[] = [];
    const ways: [number[], (t: Target) => Promise<unknown>][] = [
      [gSeq, okGql],
      [sSeq, (t) => replay(raw, t)],
      [oSeq, (t) => replay(raw, t, otherWay)],
      ...(okPgl ? [[pSeq, okPgl] as [number[], (t: Target) => Promise<unknown>]] : []),
    ];
    for (let i = 0; i < iterations; i++) {
      const t = target(1000 + i);
      for (let j = 0; j < ways.length; j++) {
        const [samples, run] = ways[(i + j) % ways.length]!;
        const t0 = performance.now();
        await run(t);
        samples.push(performance.now() - t0);
      }
    }

    // Concurrent: `concurrency` loops per side, one side at a time. Each side walks its own entities, so
    // none reads pages another just brought in.
    const concurrent = async (one: (t: Target) => Promise<unknown>, offset: number): Promise<Rate> => {
      const lat: number[] = [];
      let i = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (i < iterations) {
          const t = target(offset + i++);
          const t0 = performance.now();
          await one(t);
          lat.push(performance.now() - t0);
        }
      }));
      return { ...summary(lat), rps: lat.length / ((performance.now() - started) / 1000) };
    };
    log(`[${span} partitions] concurrent: ${concurrency} in flight, ${iterations} requests each way`);
    const gqlConc = await concurrent(okGql, 100_000);
    const sqlConc = await concurrent((t) => replay(rawPool, t), 200_000);
    const peerConc = okPgl ? await concurrent(okPgl, 300_000) : null;
    const load1 = loadavg()[0]!;

    // Planning and execution of the page (the unnamed statement, when there is one); the named statement on
    // the raw connection after thousands of executions (the 6th+ may use a generic plan).
    const page = statements.find((s) => !s.name) ?? statements[0]!;
    const planning = await planningMs(raw, page);
    const namedOne = statements.find((s) => s.name) ?? statements[0]!;
    const named = await preparedPlan(raw, namedOne.name ?? 'bench_0', namedOne.values);
    return {
      span, loaded, pgVersion, statements, serverWay, otherWay,
      floor: summary(fSeq), gql: summary(gSeq), sql: summary(sSeq), other: summary(oSeq), gqlConc, sqlConc,
      peer: peerConc && 'polyfilled' in peer ? { seq: summary(pSeq), conc: peerConc, polyfilled: peer.polyfilled } : { failed: 'failed' in peer ? peer.failed : 'no figures' },
      planning, named, load0, load1,
    };
  } finally {
    agent.destroy();
    await raw.end().catch(() => {});
    await rawPool.end().catch(() => {});
    for (const stop of workers.reverse()) await stop();
  }
}

function report(r: SpanResult, k: Knobs, embedded: boolean, out: (l: string) => void): void {
  const { loaded, named, planning } = r;
  const ratio = r.gql.p50 / r.sql.p50;
  const unnamed = r.otherWay === 'unnamed' ? r.other : r.sql;
  out(`── ${loaded.partitions} partitions (${r.span} daily + default) ──`);
  out(`warehouse: PostgreSQL ${r.pgVersion}${embedded ? ' (embedded)' : ''}, ${loaded.changes.toLocaleString('en')} changes, ` +
    `${loaded.entities.toLocaleString('en')} entities (${Math.round(loaded.changes / loaded.entities)} changes each), ` +
    `${loaded.partitions} partitions, ${(loaded.tableBytes / 2 ** 30).toFixed(2)} GiB with indexes; ${loaded.loadSeconds === null ? 'rows reused from an earlier run' : `loaded in ${loaded.loadSeconds.toFixed(0)} s (not measured)`}`);
  out(`statements per request: ${r.statements.length}, sent by the server as a ${r.serverWay}${r.statements[0]!.name ? ` (${r.statements[0]!.name})` : ''}`);
  out(`  ${r.statements.some((s) => !s.name) ? 'the unnamed statement (the page)' : 'the statement, unnamed'}: planning ${ms(planning.planning)} ms, executing ${ms(planning.execution)} ms (EXPLAIN ANALYZE, median of 20)`);
  out(`  ${r.statements.find((s) => s.name)?.name ?? 'named'}, after ${named.generic + named.custom} executions on one connection: ${named.generic} generic / ${named.custom} custom plans; ` +
    `planning ${ms(named.planning)} ms, executing ${ms(named.execution)} ms (EXPLAIN ANALYZE EXECUTE, median of 20); cached plans hold ${(named.cachedPlanBytes / 1024).toFixed(0)} KiB in that backend`);
  const scanKinds = [...new Set(named.scans)].map((x) => `${named.scans.filter((y) => y === x).length} × ${x}`);
  out(`  its plan: ${named.top.join(' → ')} of ${scanKinds.join(', ')}`);
  out(`PostGraphile: ${'failed' in r.peer ? `did not run: ${r.peer.failed.split('\n')[0]}` : `v5 over the view ${PEER_SCHEMA}.changes${r.peer.polyfilled ? ' (Promise.withResolvers polyfilled: Node 20 lacks it)' : ''}`}`);
  out(`node ${process.version}, ${cpus().length} cpus; load average ${r.load0.toFixed(2)} before, ${r.load1.toFixed(2)} after measuring`);
  out('');
  out('                          p50 ms   p90 ms   p99 ms   max ms   req/s');
  const row = (name: string, s: Summary & { rps?: number }) =>
    out(`${name.padEnd(25)} ${ms(s.p50).padStart(6)}   ${ms(s.p90).padStart(6)}   ${ms(s.p99).padStart(6)}   ${ms(s.max).padStart(6)}   ${s.rps ? s.rps.toFixed(0).padStart(5) : '    -'}`);
  row('graphql { __typename }', r.floor);
  row('graphql sequential', r.gql);
  row(r.otherWay === 'unnamed' ? 'sql as server (named)' : 'sql as server (unnamed)', r.sql);
  row(r.otherWay === 'unnamed' ? 'sql unnamed' : 'sql named (reference)', r.other);
  if (!('failed' in r.peer)) row('postgraphile sequential', r.peer.seq);
  row(`graphql ${k.concurrency} concurrent`, r.gqlConc);
  row(`sql ${k.concurrency} concurrent`, r.sqlConc);
  if (!('failed' in r.peer)) row(`postgraphile ${k.concurrency} concurrent`, r.peer.conc);
  out('');
  out(`partitions=${loaded.partitions} ${spanKeys(r)} ratio=${ratio.toFixed(2)} unnamed_sql_p50_ms=${ms(unnamed.p50)} unnamed_ratio=${(r.gql.p50 / unnamed.p50).toFixed(2)}`);
  out('');
}

/** One span's figures as `key=value` pairs: p50/p99 each way, req/s at the concurrency, and the two throughput ratios. */
function spanKeys(r: SpanResult): string {
  const peer = 'failed' in r.peer ? null : r.peer;
  return `graphql_p50_ms=${ms(r.gql.p50)} graphql_p99_ms=${ms(r.gql.p99)} sql_p50_ms=${ms(r.sql.p50)} sql_p99_ms=${ms(r.sql.p99)} ` +
    `postgraphile_p50_ms=${peer ? ms(peer.seq.p50) : 'n/a'} postgraphile_p99_ms=${peer ? ms(peer.seq.p99) : 'n/a'} ` +
    `graphql_rps=${r.gqlConc.rps.toFixed(0)} sql_rps=${r.sqlConc.rps.toFixed(0)} postgraphile_rps=${peer ? peer.conc.rps.toFixed(0) : 'n/a'} ` +
    `gql_sql_throughput=${(r.gqlConc.rps / r.sqlConc.rps).toFixed(2)} vs_postgraphile=${peer ? (r.gqlConc.rps / peer.conc.rps).toFixed(2) : 'n/a'}`;
}

/** BENCH_SPANS: daily partitions per warehouse, comma-separated. */
function spansEnv(): number[] {
  const v = process.env['BENCH_SPANS'] ?? '33,368,2555';
  const spans = v.split(',').map((x) => Number(x.trim().replaceAll('_', '')));
  if (spans.length === 0 || spans.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`BENCH_SPANS=${v}: expected positive integers, comma-separated`);
  return spans;
}

/** The database of one span's warehouse: the bench's own on the embedded server, `<name>_p<span>` beside DATABASE_URL's. */
function spanUrl(base: string, span: number): string {
  const u = new URL(base);
  u.pathname = `/${decodeURIComponent(u.pathname.slice(1)) || 'auditql_bench'}_p${span}`;
  return u.toString();
}

async function main(): Promise<void> {
  const knobs: Knobs = {
    changes: intEnv('BENCH_CHANGES', 300_000),
    entities: intEnv('BENCH_ENTITIES', 3_000),
    iterations: intEnv('BENCH_ITERATIONS', 5_000),
    concurrency: intEnv('BENCH_CONCURRENCY', 4),
    log: (m: string) => process.stderr.write(`bench:query ${m}\n`),
  };
  const spans = spansEnv();
  const { log } = knobs;
  if (knobs.entities > knobs.changes) throw new Error('BENCH_ENTITIES must not exceed BENCH_CHANGES');

  let embedded: ScratchPostgres | undefined;
  let base = process.env['DATABASE_URL'];
  let admin = base;
  if (base) log(`warehouses: beside DATABASE_URL's database, one per span (bench rows use source '${SOURCE}')`);
  else {
    // A generic plan over thousands of partitions locks each partition and index it scans: a larger lock
    // table than the default (64 per connection) keeps 4 concurrent clients and the peer within it.
    embedded = await scratchPostgres('auditql-bench-', [], { max_locks_per_transaction: String(LOCKS_PER_TRANSACTION) });
    base = embedded.url('auditql_bench');
    admin = embedded.url('postgres');
    log(`warehouse: fresh embedded PostgreSQL on port ${embedded.embedded.port}`);
  }
  try {
    const out = (l: string) => process.stdout.write(l + '\n');
    out(`bench:query — entityHistory(first: ${PAGE}) over HTTP vs the same SQL through pg vs PostGraphile v5, at ${spans.join(', ')} daily partitions`);
    out('');
    const results: SpanResult[] = [];
    for (const span of spans) {
      const url = spanUrl(base, span);
      await ensureDatabase(admin!, new URL(url).pathname.slice(1));
      const r = await measureSpan(url, span, knobs);
      report(r, knobs, embedded !== undefined, out);
      results.push(r);
    }
    const firstSpan = results[0]!;
    const lastSpan = results[results.length - 1]!;
    const gs = firstSpan.gql;
    const unnamed = firstSpan.otherWay === 'unnamed' ? firstSpan.other : firstSpan.sql;
    const target = (ok: boolean) => (ok ? 'met' : 'MISSED');
    const flat = lastSpan.gql.p50 / firstSpan.gql.p50;
    const thr = firstSpan.gqlConc.rps / firstSpan.sqlConc.rps;
    const vs = 'failed' in firstSpan.peer ? null : firstSpan.gqlConc.rps / firstSpan.peer.conc.rps;
    out(`targets: flat_ratio <= 1.3 ${target(flat <= 1.3)} (${flat.toFixed(2)}); gql_sql_throughput >= 0.67 ${target(thr >= 0.67)} (${thr.toFixed(2)}); ` +
      `vs_postgraphile >= 2 ${vs === null ? 'not measured' : `${target(vs >= 2)} (${vs.toFixed(2)})`}; graphql p50 <= 1.5 ms at ${firstSpan.loaded.partitions} partitions ${target(gs.p50 <= 1.5)} (${ms(gs.p50)})`);
    // The last line: the first span's figures under the keys earlier runs printed, then the comparisons.
    out(`graphql_p50_ms=${ms(gs.p50)} graphql_p99_ms=${ms(gs.p99)} sql_p50_ms=${ms(firstSpan.sql.p50)} sql_p99_ms=${ms(firstSpan.sql.p99)} ratio=${(gs.p50 / firstSpan.sql.p50).toFixed(2)} ` +
      `unnamed_sql_p50_ms=${ms(unnamed.p50)} unnamed_ratio=${(gs.p50 / unnamed.p50).toFixed(2)} ` +
      `flat_ratio=${flat.toFixed(2)} gql_sql_throughput=${thr.toFixed(2)} vs_postgraphile=${vs === null ? 'n/a' : vs.toFixed(2)}`);
  } finally {
    await embedded?.stop();
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:query failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  serve((workerData as { url: string }).url).catch((err: unknown) => {
    process.stderr.write(`bench:query server failed: ${String(err)}\n`);
    process.exit(1);
  });
}
