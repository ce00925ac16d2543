/**
 * MySQL-style thread correlation (ACTIVITY_SESSION, PROBABLE) from recorded-shape fixtures
 * (test/fixtures/attribution/README.md): one Aurora MySQL workload seen by Debezium (`source.thread`),
 * by Maxwell (`thread_id`) and by its Database Activity Stream (`sessionId`), ingested through the file
 * source with one `--server` for all three — activity first in one warehouse, changes first in another.
 * Each change gets the user of the connection that wrote its table around its time; a read never counts;
 * a change whose connection left no activity stays unattributed; a COM_CHANGE_USER between two writes is
 * a conflict, flagged and not resolved; and Aurora's InnoDB transaction ids never meet Maxwell's binlog
 * XIDs even where the digits coincide (the fixture makes one coincide with another user's change).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';
import { loadEnv } from '../../src/config/env.js';
import { parseIngestArgs } from '../../src/cli/commands/ingest-options.js';
import { ingestFileCommand } from '../../src/cli/commands/ingest-file.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import type { Logger } from '../../src/log.js';

const FIXTURES = new URL('../fixtures/attribution/', import.meta.url).pathname;
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const KEYS = ['--key', 'shop.orders=order_id', '--key', 'shop.customers=customer_id'];
const SERVER = 'orders-aurora';

const FILES = {
  das: ['das', 'aurora-mysql-das.jsonl', 'aurora-das'],
  maxwell: ['maxwell', 'mysql-maxwell.jsonl', 'maxwell'],
  debezium: ['debezium', 'mysql-debezium.jsonl', 'debezium'],
} as const;

/** Who made each change of the workload, by (table, key, operation). */
const TRUTH: Record<string, { users: string[]; host?: string; connection?: string }> = {
  'orders 5001 INSERT': { users: ['app'], host: '10.0.2.44', connection: '726571' },
  'customers 1001 UPDATE': { users: ['billing'], host: '10.0.2.45', connection: '726580' },
  'orders 5001 UPDATE': { users: ['app'], host: '10.0.2.44', connection: '726571' },
  'orders 5001 DELETE': { users: ['app'], host: '10.0.2.44', connection: '726571' },
  'customers 1002 UPDATE': { users: [] }, // its connection's statements never reached the activity stream
  'orders 6001 INSERT': { users: ['etl', 'etl_admin'] }, // COM_CHANGE_USER between the two inserts
  'orders 6002 INSERT': { users: ['etl', 'etl_admin'] },
};

interface Node {
  table: string;
  key: Record<string, number>;
  operation: string;
  actor: {
    dbUser: string | null; remoteHost: string | null; confidence: string; conflict: boolean;
    evidence: { source: string; confidence: string; dbUser: string | null; detail: { connection?: string; deltaMs?: number } }[];
  } | null;
}

const opened: { db: WarehouseDb; api: ApiServer; drop: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const o of opened) {
    await o.api.close();
    await o.db.close();
    await o.drop();
  }
});

async function warehouse(order: readonly (keyof typeof FILES)[], serverFor: (f: keyof typeof FILES) => string | null) {
  const d = await createDatabase('attrmy');
  const env = loadEnv({ DATABASE_URL: d.url, AUDITQL_LOG_LEVEL: 'warn' });
  for (const f of order) {
    const [format, file, source] = FILES[f];
    const server = serverFor(f);
    const o = parseIngestArgs(['--from', 'file', '--format', format, '--source', source, ...(server ? ['--server', server] : []), ...KEYS, FIXTURES + file]);
    expect(await ingestFileCommand(env, o, quiet)).toBe(0);
  }
  const db = openWarehouse(d.url);
  const api = await startApiServer({ warehouse: db, auth: { mode: 'none' }, port: 0, host: '127.0.0.1', log: quiet });
  opened.push({ db, api, drop: d.drop });
  return { db, api };
}

async function graphql<T>(api: ApiServer, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const changesOf = async (api: ApiServer, source: string) =>
  (await graphql<{ changes: { nodes: Node[] } }>(api, `query($s: String!) { changes(filter: {source: $s}, first: 50, order: FEED_ORDER) {
    nodes { table key operation actor { dbUser remoteHost confidence conflict evidence { source confidence dbUser detail } } } } }`, { s: source })).changes.nodes;

const name = (n: Node) => `${n.table} ${Object.values(n.key)[0]} ${n.operation}`;

describe('MySQL thread correlation: Debezium + Maxwell + Aurora MySQL activity stream', () => {
  for (const order of [['das', 'maxwell', 'debezium'], ['maxwell', 'debezium', 'das']] as const) {
    it(`${order[0] === 'das' ? 'activity first' : 'changes first'}: each change by its connection's user, PROBABLE; reads never; gaps and conflicts shown`, async () => {
      const { db, api } = await warehouse(order, () => SERVER);
      for (const source of ['maxwell', 'debezium']) {
        const nodes = await changesOf(api, source);
        expect(nodes.map(name).sort()).toEqual(Object.keys(TRUTH).sort());
        for (const n of nodes) {
          const want = TRUTH[name(n)]!;
          const where = `${source}: ${name(n)}`;
          if (want.users.length === 0) {
            expect(n.actor, where).toBeNull();
            continue;
          }
          expect(n.actor, where).not.toBeNull();
          const a = n.actor!;
          // Correlated by connection only: never EXACT, never ACTIVITY_TX (InnoDB ids are not binlog XIDs or GTIDs).
          expect(a.evidence.map((e) => `${e.source}/${e.confidence}`), where).toEqual(want.users.map(() => 'ACTIVITY_SESSION/PROBABLE'));
          expect(a.confidence, where).toBe('PROBABLE');
          expect(a.evidence.map((e) => e.dbUser).sort(), where).toEqual(want.users);
          expect(a.conflict, where).toBe(want.users.length > 1);
          if (want.users.length === 1) {
            expect(a.dbUser, where).toBe(want.users[0]);
            expect(a.remoteHost, where).toBe(want.host);
            expect(a.evidence[0]!.detail.connection, where).toBe(want.connection);
            expect(Math.abs(a.evidence[0]!.detail.deltaMs!), where).toBeLessThan(5000);
          }
        }
        const cov = await graphql<{ attributionCoverage: Record<string, number> }>(api,
          `query($s: String!) { attributionCoverage(source: $s) { total exact probable unattributed conflicting withDbUser withAppUser } }`, { s: source });
        expect(cov.attributionCoverage).toEqual({ total: 7, exact: 0, probable: 6, unattributed: 1, conflicting: 2, withDbUser: 6, withAppUser: 0 });
      }
      // The read-only connection is never anyone's evidence.
      const byReport = await graphql<{ whoChanged: { nodes: unknown[] } }>(api, `{ whoChanged(table: "orders", user: "report") { nodes { id } } }`);
      expect(byReport.whoChanged.nodes).toEqual([]);
      const byApp = await graphql<{ whoChanged: { nodes: unknown[] } }>(api, `{ whoChanged(table: "orders", user: "app", first: 50) { nodes { id } } }`);
      expect(byApp.whoChanged.nodes).toHaveLength(6); // three changes, each seen by Debezium and by Maxwell
      // --server replaced what each record said; the record's own identity is kept beside it.
      const servers = await db.pool.query(`select distinct server, extra->>'sourceServer' as was from auditql.activity`);
      expect(servers.rows).toEqual([{ server: SERVER, was: 'cluster-ORDERS7K2M4Q8ZP3N' }]);
    });
  }

  it('without one --server for all three sources, nothing meets: every change unattributed, none guessed', async () => {
    const { api } = await warehouse(['das', 'maxwell'], (f) => (f === 'das' ? null : SERVER));
    const cov = await graphql<{ attributionCoverage: Record<string, number> }>(api,
      `{ attributionCoverage(source: "maxwell") { total exact probable unattributed conflicting } }`);
    expect(cov.attributionCoverage).toEqual({ total: 7, exact: 0, probable: 0, unattributed: 7, conflicting: 0 });
  });
});
