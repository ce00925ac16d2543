/**
 * The database-user context trigger (`auditql install-source --db-context`) end to end on a real source
 * PostgreSQL with no pgAudit: installed by the built CLI on a publication's tables, changes made by several
 * login roles — concurrently, and with SET ROLE inside a transaction — are captured through pgoutput, and
 * every change gets DB_CONTEXT evidence naming its session's database user, none another's. One message
 * per transaction (and one more when current_user changes), not per row or statement. A Debezium `op: "m"`
 * record of the same message gives the same evidence. `--uninstall` removes the triggers.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, createDatabase, freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { probeUntil } from '../helpers/until.js';
import { startPostgresCapture } from '../../src/cli/commands/ingest-postgres.js';
import { decodeContext } from '../../src/decoders/context.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { silentLogger } from '../../src/log.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { warehouseSink } from '../../src/ingest/run.js';
import { arraySource } from '../helpers/array-source.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tag = randomBytes(3).toString('hex');
const ALICE = `alice_${tag}`;
const BOB = `bob_${tag}`;
const AUDITOR = `ops_${tag}`;

let src: Awaited<ReturnType<typeof createDatabase>>;
let w: TestWarehouse;
let admin: pg.Pool;

const asRole = (role: string) => {
  const u = new URL(src.url);
  u.username = role;
  u.password = 'pw';
  return new pg.Pool({ connectionString: u.toString(), max: 2, application_name: `app-of-${role}` });
};

beforeAll(async () => {
  src = await createDatabase('dbctx');
  w = await freshWarehouse();
  admin = new pg.Pool({ connectionString: src.url, max: 2 });
  await admin.query(`
    create table accounts (id int primary key, owner text, balance int);
    create table notes (id int primary key, body text);
    create publication dbctx_pub for table accounts, notes;
    create role ${ALICE} login password 'pw'; create role ${BOB} login password 'pw'; create role ${AUDITOR} nologin;
    grant ${AUDITOR} to ${ALICE};
    grant select, insert, update, delete on accounts, notes to ${ALICE}, ${BOB}, ${AUDITOR};`);
  await admin.query(`select pg_create_logical_replication_slot('dbctx_slot', 'pgoutput')`);
});

afterAll(async () => {
  await admin?.query(`select pg_drop_replication_slot('dbctx_slot')`).catch(() => {});
  await admin?.end();
  await src?.drop();
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  await c.query(`drop role if exists ${ALICE}, ${BOB}, ${AUDITOR}`).finally(() => c.end());
  await w?.destroy();
});

interface Attributed { id: number; table: string; dbUser: string | null; evidence: string[]; currentUser: string | null }

async function attributed(): Promise<Attributed[]> {
  const r = await w.pool.query<Attributed>(`
    select coalesce((c.after->>'id')::int, (c.before->>'id')::int) as id, c.table_name as table,
           (array_agg(a.db_user order by a.seq) filter (where a.evidence = 'DB_CONTEXT'))[1] as "dbUser",
           coalesce(array_agg(distinct a.evidence) filter (where a.evidence is not null), '{}') as evidence,
           string_agg(distinct a.detail->'context'->>'currentUser', ',') as "currentUser"
    from auditql.changes c left join auditql.attributions a on a.change_seq = c.seq
    where c.source = 'dbctx'
    group by c.seq, c.after, c.before, c.table_name order by c.seq`);
  return r.rows;
}

describe('install-source --db-context', () => {
  it('names the database user of every captured change, with no pgAudit', async () => {
    const installed = await run(process.execPath, [`${ROOT}bin/auditql.js`, 'install-source', '--source-url', src.url, '--db-context', '--publication', 'dbctx_pub'], { cwd: ROOT });
    expect(installed.stderr).toContain('installed the database-user context trigger on 2 table(s)');

    const capture = await startPostgresCapture({
      pool: w.pool, sourceName: 'dbctx', sourceUrl: src.url, publication: 'dbctx_pub', slot: 'dbctx_slot',
      ctx: decodeContext({ server: 'src1' }), log: silentLogger,
    });
    const alice = asRole(ALICE);
    const bob = asRole(BOB);
    try {
      // Concurrent sessions: alice and bob interleave their transactions, each of several statements and rows.
      const txOf = async (pool: pg.Pool, base: number) => {
        const c = await pool.connect();
        try {
          await c.query('begin');
          await c.query(`insert into accounts values (${base}, 'x', 1), (${base + 1}, 'y', 2)`);
          await c.query(`update accounts set balance = balance + 1 where id = ${base}`);
          await c.query(`insert into notes values (${base}, 'n')`);
          await c.query('commit');
        } finally {
          c.release();
        }
      };
      await Promise.all([txOf(alice, 100), txOf(bob, 200), txOf(alice, 300), txOf(bob, 400)]);
      // SET ROLE inside a transaction: the session (login) user stays alice; the role shows in the detail.
      const c = await alice.connect();
      try {
        await c.query('begin');
        await c.query(`insert into notes values (500, 'before set role')`);
        await c.query(`set local role ${AUDITOR}`);
        await c.query(`insert into notes values (501, 'after set role')`);
        await c.query('commit');
      } finally {
        c.release();
      }
      // A statement with no row still fires a statement trigger: harmless, one message at most.
      await bob.query(`delete from accounts where id = -1`);
      await bob.query(`delete from accounts where id = 201`);

      const rows = await probeUntil('every change attributed', attributed, (r) => r.length === 4 * 4 + 2 + 1 && r.every((x) => x.dbUser !== null));
      for (const r of rows) {
        const expected = [100, 101, 300, 301, 500, 501].includes(r.id) ? ALICE : BOB;
        expect(r, `change of id ${r.id}`).toMatchObject({ dbUser: expected, evidence: ['DB_CONTEXT'] });
      }
      expect(rows.find((r) => r.id === 501)!.currentUser!.split(',').sort()).toEqual([ALICE, AUDITOR].sort());

      // Once per transaction: 4 interleaved transactions + the SET ROLE one (2 messages) + the two deletes.
      const messages = await w.pool.query(`select count(*)::int as n from auditql.contexts where source = 'dbctx'`);
      expect(messages.rows[0].n).toBe(4 + 2 + 2);
      const ctx = await w.pool.query(`select content from auditql.contexts where source = 'dbctx' order by seq limit 1`);
      expect(ctx.rows[0].content).toMatchObject({ source: 'auditql-db-context', applicationName: expect.stringMatching(/^app-of-/), command: 'INSERT' });
    } finally {
      await alice.end();
      await bob.end();
      await capture.stop();
    }

    const removed = await run(process.execPath, [`${ROOT}bin/auditql.js`, 'install-source', '--source-url', src.url, '--uninstall'], { cwd: ROOT });
    expect(removed.stderr).toContain('removed the database-user context trigger from 2 table(s)');
    const left = await admin.query(`select count(*)::int as n from pg_trigger where tgname = 'auditql_db_context'`);
    expect(left.rows[0].n).toBe(0);
  });

  it('a Debezium logical-message record (op "m") of the same message gives the same evidence', async () => {
    const debezium = await loadDecoder('debezium');
    const content = JSON.stringify({ source: 'auditql-db-context', dbUser: 'carol', currentUser: 'carol', applicationName: 'psql', clientAddr: '10.0.0.9', command: 'UPDATE' });
    const source = { version: '2.7.0.Final', connector: 'postgresql', name: 'pg1', ts_ms: 1700000000000, db: 'shop', schema: 'public', table: 'accounts', txId: 777, lsn: 1000 };
    const message = { op: 'm', ts_ms: 1700000000001, source: { ...source, table: '' }, message: { prefix: 'auditql', content: Buffer.from(content).toString('base64') } };
    const change = { op: 'u', ts_ms: 1700000000002, source: { ...source, lsn: 1001 }, before: { id: 9, balance: 1 }, after: { id: 9, balance: 2 } };
    const summary = await new IngestPipeline({
      sourceName: 'dbz-ctx', source: arraySource([JSON.stringify(message), JSON.stringify(change)]), decoderFor: () => debezium,
      ctx: decodeContext({ server: 'pg1', keyColumns: new Map([['public.accounts', ['id']]]) }), sink: warehouseSink(w.pool),
    }).run();
    expect(summary).toMatchObject({ read: 2, stored: 2, deadLettered: 0 });
    const r = await w.pool.query(`select a.evidence, a.db_user, a.remote_host, a.client_application
      from auditql.attributions a join auditql.changes c on c.seq = a.change_seq where c.source = 'dbz-ctx'`);
    expect(r.rows).toEqual([{ evidence: 'DB_CONTEXT', db_user: 'carol', remote_host: '10.0.0.9', client_application: 'psql' }]);
  });
});
