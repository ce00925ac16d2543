/**
 * `npm run bench:query` (BENCHMARKS.md "bench:query"): `entityHistory(first: 20)` over HTTP against the very SQL the
 * resolver runs, executed directly through `pg`, in one run. Target: GraphQL p50 ≤ 1 ms and ≤ 3× raw SQL.
 *
 * 1. A warehouse: DATABASE_URL, or a fresh embedded PostgreSQL in a temp dir (thrown away afterwards).
 * 2. BENCH_CHANGES (default 1,000,000) changes over BENCH_ENTITIES (default 10,000) entities, loaded with
 *    `INSERT … SELECT generate_series` in daily partitions made by PartitionManager over BENCH_DAYS days.
 *    Rows carry exactly the columns the sink fills (checked against CHANGE_COLUMNS), Debezium-like
 *    positions and `extra`, and before/after rows of 11 columns whose changed_fields are derived from them.
 *    The load is not measured; a rerun against the same DATABASE_URL reuses rows already loaded.
 * 3. The real API server (`startApiServer`) in a worker thread, so the HTTP client never shares its event
 *    loop. One warm-up request records the statements the server runs, and how: unnamed, or as a named
 *    prepared statement (src/warehouse/named-statements.ts). The raw side replays exactly those statements
 *    the same way (table and key swapped per request) through a plain `pg` client: that is the baseline.
 * 4. Sequential (GraphQL and SQL interleaved on the same random entity, taking turns to go first) and
 *    BENCH_CONCURRENCY-way concurrent.
 *    For reference, the same SQL sent the other way (unnamed when the server names it, named when it does
 *    not), PostgreSQL's planning and execution times for the unnamed statement, and for the named one after
 *    thousands of executions: generic or custom plan, its shape, and the memory its cached plan holds.
 * The last line is machine-readable: `graphql_p50_ms=… graphql_p99_ms=… sql_p50_ms=… sql_p99_ms=… ratio=…
 * unnamed_sql_p50_ms=… unnamed_ratio=…` (sql_* is the SQL as the server sends it).
 */
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import { startApiServer } from '../src/graphql/server.js';
import { silentLogger } from '../src/log.js';
import { keyText } from '../src/model/row-key.js';
import { CHANGE_COLUMNS } from '../src/warehouse/columns.js';
import { openWarehouse } from '../src/warehouse/db.js';
import { migrate } from '../src/warehouse/migrate.js';
import { dayOf, PartitionManager } from '../src/warehouse/partitions.js';
import { intEnv, scratchPostgres, workerChannel, type ScratchPostgres } from './support.js';

const SOURCE = 'auditql-bench';
const TABLES = ['customers', 'orders'] as const;
const PAGE = 20;
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
    key: `jsonb_build_object('id', t.id)`,
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
    extra: `jsonb_build_object('connector', 'postgresql', 'version', '2.7.3.Final',
      'ts_us', (extract(epoch from t.ts) * 1000000)::bigint + 1500, 'lsn', 240000000 + g * 912,
      'sequence', '["' || (240000000 + g * 912 - 912) || '","' || (240000000 + g * 912) || '"]', 'topic', 'shop.public.' || t.tbl)`,
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

async function load(pool: pg.Pool, changes: number, entities: number, days: number, log: (m: string) => void): Promise<Loaded> {
  const existing = await pool.query<{ n: string }>(`select count(*) as n from auditql.changes where source = $1`, [SOURCE]);
  const t0 = performance.now();
  const reused = Number(existing.rows[0]!.n) === changes;
  if (reused) {
    log(`reusing ${changes} ${SOURCE} changes already in the warehouse`);
  } else {
    if (Number(existing.rows[0]!.n) !== 0) throw new Error(`the warehouse holds ${existing.rows[0]!.n} ${SOURCE} changes, not ${changes}: use another database`);
    const end = Date.now() - 60_000;
    const start = end - days * 86_400_000;
    const pm = new PartitionManager(pool, 1);
    const dayList: string[] = [];
    for (let t = start; t <= end + 86_400_000; t += 86_400_000) dayList.push(dayOf(new Date(t)));
    await pm.ensure('changes', dayList);
    const offset = (await pool.query<{ s: string }>(`select coalesce(max(seq), 0) as s from auditql.changes`)).rows[0]!.s;
    const text = insertSql(entities);
    const chunk = 50_000;
    let nextLo = 1;
    let done = 0;
    // Two chunks at a time (one per core); each row's seq, time and images depend only on its number.
    await Promise.all([0, 1].map(async () => {
      while (nextLo <= changes) {
        const lo = nextLo;
        const hi = Math.min(changes, lo + chunk - 1);
        nextLo = hi + 1;
        await pool.query(text, [offset, lo, hi, new Date(start).toISOString(), (days * 86_400) / changes]);
        done += hi - lo + 1;
        log(`  loaded ${done.toLocaleString('en')} / ${changes.toLocaleString('en')} changes (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }));
    await pool.query(`select setval('auditql.feed_seq', greatest((select max(seq) from auditql.changes), 1))`);
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

interface HistoryResponse {
  readonly data?: { readonly entityHistory: { readonly edges: { readonly node: { readonly committedAt: string } }[] } };
  readonly errors?: unknown[];
}

function graphqlClient(endpoint: string, agent: http.Agent, query = QUERY) {
  const url = new URL(endpoint);
  return (t: Target): Promise<HistoryResponse> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ query, variables: t });
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

/** The captured statements with the warm-up entity's table and key text swapped for another entity's. */
function replayer(statements: readonly Statement[], warm: Target) {
  const warmKey = keyText(warm.key);
  return (client: pg.Pool | pg.Client, t: Target, way: Way = 'server') => {
    const kt = keyText(t.key);
    const run = async () => {
      let rows: { committedAt: Date | null }[] = [];
      for (const [i, s] of statements.entries()) {
        const values = s.values.map((v) => (v === warmKey ? kt : v === warm.table ? t.table : v)) as unknown[];
        const name = way === 'unnamed' ? undefined : way === 'named' ? (s.name ?? `bench_${i}`) : s.name;
        const r = await (name ? client.query({ name, text: s.text, values }) : client.query(s.text, values));
        if (rows.length === 0) rows = r.rows as { committedAt: Date | null }[];
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
async function planningMs(client: pg.Client, s: Statement, warm: Target): Promise<{ planning: number; execution: number }> {
  const p: number[] = [];
  const e: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, TIMING OFF) ${s.text}`, s.values.map((v) => (v === warm.table ? warm.table : v)) as unknown[]);
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

async function main(): Promise<void> {
  const changes = intEnv('BENCH_CHANGES', 1_000_000);
  const entities = intEnv('BENCH_ENTITIES', 10_000);
  const days = intEnv('BENCH_DAYS', 30);
  const iterations = intEnv('BENCH_ITERATIONS', 5_000);
  const concurrency = intEnv('BENCH_CONCURRENCY', 4);
  const log = (m: string) => process.stderr.write(`bench:query ${m}\n`);
  if (entities > changes) throw new Error('BENCH_ENTITIES must not exceed BENCH_CHANGES');

  let embedded: ScratchPostgres | undefined;
  let url = process.env.DATABASE_URL;
  if (url) log(`warehouse: DATABASE_URL (bench rows use source '${SOURCE}')`);
  else {
    embedded = await scratchPostgres('auditql-bench-', ['auditql_bench']);
    url = embedded.url('auditql_bench');
    log(`warehouse: fresh embedded PostgreSQL on port ${embedded.embedded.port}`);
  }
  const setup = openWarehouse(url, { max: 4, applicationName: 'auditql-bench-load' });
  let worker: Worker | undefined;
  try {
    await migrate(setup.pool);
    const pgVersion = (await setup.pool.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]!.v;
    log(`loading ${changes.toLocaleString('en')} changes over ${entities.toLocaleString('en')} entities, ${days} days`);
    const loaded = await load(setup.pool, changes, entities, days, log);
    await setup.close();

    const channel = workerChannel<ToWorker, FromWorker>(new Worker(new URL(import.meta.url), { workerData: { url } }), 'bench:query server');
    worker = channel.worker;
    const w = worker;
    const next = channel.next;
    const ready = await next();
    if (ready.type !== 'ready') throw new Error('server worker did not start');
    log(`server: ${ready.url} (worker thread)`);

    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const gql = graphqlClient(ready.url, agent);
    const target = (i: number): Target => {
      const e = 1 + (Math.imul(i + 1, 2_654_435_761) >>> 0) % entities;
      return { table: TABLES[e % TABLES.length]!, key: { id: 1000 + e } };
    };

    // Warm-up, and the statements one request runs.
    const warm = target(0);
    w.postMessage({ type: 'capture', on: true } satisfies ToWorker);
    const first = await gql(warm);
    w.postMessage({ type: 'capture', on: false } satisfies ToWorker);
    const cap = await next();
    if (cap.type !== 'captured') throw new Error('no statements captured');
    if (first.errors || !first.data) throw new Error(`entityHistory failed: ${JSON.stringify(first.errors)}`);
    const statements = cap.statements.filter((s) => !/^\s*(begin|commit|rollback)\b/i.test(s.text));
    log(`one entityHistory(first: ${PAGE}) request ran ${statements.length} SQL statement(s):`);
    for (const s of statements) log(`  ${s.name ? `[named ${s.name}] ` : '[unnamed] '}${s.text.replace(/\s+/g, ' ').slice(0, 400)}  -- ${JSON.stringify(s.values)}`);
    const serverWay = statements.every((s) => s.name) ? 'named prepared statement' : statements.some((s) => s.name) ? 'partly named' : 'unnamed statement';
    const replay = replayer(statements, warm);

    const raw = new pg.Client({ connectionString: url, application_name: 'auditql-bench-sql' });
    await raw.connect();
    const rawPool = new pg.Pool({ connectionString: url, max: concurrency, application_name: 'auditql-bench-sql' });
    // If the run fails, the warehouse stops under these connections: let the failure itself be reported.
    raw.on('error', () => {});
    rawPool.on('error', () => {});

    // Same answer both ways (a page of PAGE rows, newest first, plus one to tell hasNextPage).
    for (let i = 0; i < 20; i++) {
      const t = target(i);
      const [g, r] = [await gql(t), await replay(raw, t)];
      const a = g.data?.entityHistory.edges.map((e) => e.node.committedAt) ?? [];
      const b = r.slice(0, PAGE).map((x) => x.committedAt?.toISOString());
      if (JSON.stringify(a) !== JSON.stringify(b) || a.length !== Math.min(PAGE, Math.ceil(changes / entities))) {
        throw new Error(`GraphQL and SQL disagree for ${JSON.stringify(t)}: ${JSON.stringify({ a, b })}`);
      }
    }
    // The raw side's reference way: unnamed when the server names its statement, named when it does not.
    const otherWay: Way = statements.some((s) => s.name) ? 'unnamed' : 'named';
    for (let i = 0; i < 500; i++) {
      await gql(target(i));
      await replay(raw, target(i));
      await replay(raw, target(i), otherWay);
    }

    // Sequential, interleaved: the same entity both ways, back to back.
    log(`sequential: ${iterations} requests each way`);
    // The fixed cost of a request: HTTP + Apollo + an empty operation, no SQL.
    const floor = graphqlClient(ready.url, agent, '{ __typename }');
    const fSeq: number[] = [];
    for (let i = 0; i < 500; i++) await floor(target(i));
    for (let i = 0; i < Math.min(iterations, 2000); i++) {
      const t0 = performance.now();
      await floor(target(i));
      fSeq.push(performance.now() - t0);
    }

    const load0 = loadavg()[0]!;
    const gSeq: number[] = [];
    const sSeq: number[] = [];
    const oSeq: number[] = [];
    // The three ways take turns going first: whoever reads an entity first pays for its cold pages.
    const ways: [number[], (t: Target) => Promise<unknown>][] = [
      [gSeq, async (t) => { const g = await gql(t); if (!g.data) throw new Error(`entityHistory failed: ${JSON.stringify(g.errors)}`); }],
      [sSeq, (t) => replay(raw, t)],
      [oSeq, (t) => replay(raw, t, otherWay)],
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

    // Concurrent: `concurrency` loops, GraphQL first, then SQL over a pool of the same size.
    // Each side walks its own entities, so neither reads pages the other just brought in.
    const concurrent = async (one: (t: Target) => Promise<unknown>, offset: number) => {
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
    log(`concurrent: ${concurrency} in flight, ${iterations} requests each way`);
    const gConc = await concurrent(gql, 100_000);
    const sConc = await concurrent((t) => replay(rawPool, t), 200_000);

    const load1 = loadavg()[0]!;
    const planning = await planningMs(raw, statements[0]!, warm);
    // The named statement on the raw connection after thousands of executions (the 6th+ may use a generic plan).
    const named = await preparedPlan(raw, statements[0]!.name ?? 'bench_0', statements[0]!.values);
    await raw.end();
    await rawPool.end();
    agent.destroy();

    const gs = summary(gSeq);
    const ss = summary(sSeq);
    const os = summary(oSeq);
    const ratio = gs.p50 / ss.p50;
    const unnamedRatio = gs.p50 / (otherWay === 'unnamed' ? os : ss).p50;
    const out = (l: string) => process.stdout.write(l + '\n');
    out(`bench:query — entityHistory(first: ${PAGE}) over HTTP vs the same SQL through pg`);
    out(`warehouse: PostgreSQL ${pgVersion}${embedded ? ' (embedded)' : ''}, ${loaded.changes.toLocaleString('en')} changes, ` +
      `${loaded.entities.toLocaleString('en')} entities (${Math.round(loaded.changes / loaded.entities)} changes each), ` +
      `${loaded.partitions} partitions, ${(loaded.tableBytes / 2 ** 30).toFixed(2)} GiB with indexes; ${loaded.loadSeconds === null ? 'rows reused from an earlier run' : `loaded in ${loaded.loadSeconds.toFixed(0)} s (not measured)`}`);
    out(`statements per request: ${statements.length}, sent by the server as a ${serverWay}${statements[0]!.name ? ` (${statements[0]!.name})` : ''}`);
    out(`  unnamed: planning ${ms(planning.planning)} ms, executing ${ms(planning.execution)} ms (EXPLAIN ANALYZE, median of 20)`);
    out(`  named, after ${named.generic + named.custom} executions on one connection: ${named.generic} generic / ${named.custom} custom plans; ` +
      `planning ${ms(named.planning)} ms, executing ${ms(named.execution)} ms (EXPLAIN ANALYZE EXECUTE, median of 20); cached plans hold ${(named.cachedPlanBytes / 1024).toFixed(0)} KiB in that backend`);
    const scanKinds = [...new Set(named.scans)].map((k) => `${named.scans.filter((x) => x === k).length} × ${k}`);
    out(`  its plan: ${named.top.join(' → ')} of ${scanKinds.join(', ')}`);
    out(`node ${process.version}, ${cpus().length} cpus; load average ${load0.toFixed(2)} before, ${load1.toFixed(2)} after measuring`);
    out('');
    out('                       p50 ms   p90 ms   p99 ms   max ms   req/s');
    const row = (name: string, s: ReturnType<typeof summary> & { rps?: number }) =>
      out(`${name.padEnd(22)} ${ms(s.p50).padStart(6)}   ${ms(s.p90).padStart(6)}   ${ms(s.p99).padStart(6)}   ${ms(s.max).padStart(6)}   ${s.rps ? s.rps.toFixed(0).padStart(5) : '    -'}`);
    row('graphql { __typename }', summary(fSeq));
    row('graphql sequential', gs);
    row(otherWay === 'unnamed' ? 'sql as server (named)' : 'sql as server (unnamed)', ss);
    row(otherWay === 'unnamed' ? 'sql unnamed' : 'sql named (reference)', os);
    row(`graphql ${concurrency} concurrent`, gConc);
    row(`sql ${concurrency} concurrent`, sConc);
    out('');
    out(`target: graphql p50 <= 1 ms ${gs.p50 <= 1 ? 'met' : 'MISSED'}; <= 3x sql p50 ${ratio <= 3 ? 'met' : 'MISSED'} (ratio ${ratio.toFixed(2)} against the SQL as the server sends it; ` +
      `${unnamedRatio.toFixed(2)} against it unnamed; concurrent ratio ${(gConc.p50 / sConc.p50).toFixed(2)})`);
    out(`graphql_p50_ms=${ms(gs.p50)} graphql_p99_ms=${ms(gs.p99)} sql_p50_ms=${ms(ss.p50)} sql_p99_ms=${ms(ss.p99)} ratio=${ratio.toFixed(2)} ` +
      `unnamed_sql_p50_ms=${ms((otherWay === 'unnamed' ? os : ss).p50)} unnamed_ratio=${unnamedRatio.toFixed(2)}`);
  } finally {
    if (worker) {
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
      await new Promise<void>((res) => {
        const timer = setTimeout(res, 10_000);
        worker!.on('message', (m: FromWorker) => m.type === 'stopped' && (clearTimeout(timer), res()));
      });
      await worker.terminate();
    }
    await setup.close();
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
