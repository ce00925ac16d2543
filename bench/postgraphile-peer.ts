/**
 * The peer bench:query compares against (BENCHMARKS.md "bench:query"): PostGraphile v5 (a devDependency,
 * used by the bench only) serving the same warehouse rows over HTTP, in its own worker thread, with the
 * equivalent of our `entityHistory(first: 20)`.
 *
 * PostGraphile would expose the partitioned `auditql.changes`, but pointed at schema `auditql` it would also
 * build a type for every partition (thousands of them at years of retention) and every other warehouse
 * table. So it gets a schema of its own, `auditql_peer`, holding one `security_invoker` view over
 * `auditql.changes` with the columns the query reads: PostgreSQL inlines the view, so the plan is the
 * table's own (one index scan per partition under a Merge Append), and the rows are read with the
 * privileges of the role PostGraphile connects as, `auditql_bench_peer`, a member of `auditql_reader`
 * (migrations/010_roles.sql) — the role the API reads with.
 *
 * Configured with PostGraphile's documented preset API: the amber preset, `makePgService`, and grafserv's
 * node:http adaptor (`serv.addTo(server)`); no GraphiQL, no watch mode, no explain.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type pg from 'pg';

export const PEER_SCHEMA = 'auditql_peer';
export const PEER_ROLE = 'auditql_bench_peer';
const PEER_PASSWORD = 'auditql-bench-peer';

/** PostGraphile's spelling of the bench query: an entity's newest changes, the same columns as ours. */
export const peerQuery = (page: number) => `query PeerEntityHistory($table: String!, $keyText: String!) {
  allChanges(condition: { tableName: $table, keyText: $keyText }, orderBy: [PART_AT_DESC, SEQ_DESC], first: ${page}) {
    edges { cursor node { id operation committedAt tableName key before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * The view, its schema and the login role, idempotently (run as the warehouse's owner). `@primaryKey seq`
 * (a PostGraphile smart tag) gives the view's rows a node id, as `Change.id` is ours: `seq` is unique.
 */
export async function preparePeer(pool: pg.Pool): Promise<void> {
  await pool.query(`
    CREATE SCHEMA IF NOT EXISTS ${PEER_SCHEMA};
    CREATE OR REPLACE VIEW ${PEER_SCHEMA}.changes WITH (security_invoker = true) AS
      SELECT seq, part_at, table_name, key_text, operation, committed_at, key, before, after FROM auditql.changes_whole; -- key whole, as the API returns it
    COMMENT ON VIEW ${PEER_SCHEMA}.changes IS E'@primaryKey seq';
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PEER_ROLE}') THEN
        CREATE ROLE ${PEER_ROLE} LOGIN PASSWORD '${PEER_PASSWORD}' IN ROLE auditql_reader;
      END IF;
    END $$;
    GRANT USAGE ON SCHEMA ${PEER_SCHEMA} TO auditql_reader;
    GRANT SELECT ON ${PEER_SCHEMA}.changes TO auditql_reader;`);
}

/** The warehouse URL with the peer's role in place of the owner. */
export function peerUrl(url: string): string {
  const u = new URL(url);
  u.username = PEER_ROLE;
  u.password = PEER_PASSWORD;
  return u.toString();
}

export type FromPeer = { readonly type: 'ready'; readonly url: string; readonly polyfilled: boolean } | { readonly type: 'failed'; readonly reason: string } | { readonly type: 'stopped' };

/**
 * PostGraphile 5 declares Node ≥ 22 and calls `Promise.withResolvers` (ES2024), which Node 20's V8 (11.3)
 * lacks; without it a query fails inside its executor. This worker (its own isolate: the API server's
 * worker is untouched) installs the standard polyfill before loading it; nothing else it needs is missing.
 */
function polyfillPromiseWithResolvers(): boolean {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  if (typeof P.withResolvers === 'function') return false;
  P.withResolvers = function withResolvers<T>(this: PromiseConstructor) {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new this<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  return true;
}

async function servePeer(connectionString: string): Promise<void> {
  const port = parentPort!;
  const polyfilled = polyfillPromiseWithResolvers();
  // Loaded here, not at the top: the main thread only needs the SQL above, and a PostGraphile that cannot
  // load on this Node is reported as such rather than failing the bench's import.
  const [{ postgraphile }, { PostGraphileAmberPreset }, { makePgService }, { grafserv }] = await Promise.all([
    import('postgraphile'), import('postgraphile/presets/amber'), import('postgraphile/adaptors/pg'), import('postgraphile/grafserv/node'),
  ]);
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({ connectionString, schemas: [PEER_SCHEMA], poolConfig: { max: 10, application_name: 'auditql-bench-postgraphile' } as never })],
    grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
    grafast: { explain: false },
  });
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  await serv.addTo(server, false);
  await pgl.getSchema(); // build (introspect) before the first request is timed
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port: p } = server.address() as AddressInfo;
  port.on('message', async (m: { type: 'stop' }) => {
    if (m.type !== 'stop') return;
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
    await serv.release();
    await pgl.release();
    port.postMessage({ type: 'stopped' } satisfies FromPeer);
  });
  port.postMessage({ type: 'ready', url: `http://127.0.0.1:${p}/graphql`, polyfilled } satisfies FromPeer);
}

if (!isMainThread && (workerData as { peer?: string } | undefined)?.peer) {
  servePeer((workerData as { peer: string }).peer).catch((err: unknown) => {
    parentPort!.postMessage({ type: 'failed', reason: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromPeer);
  });
}
