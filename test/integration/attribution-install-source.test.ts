/**
 * `auditql install-source` and `auditql.set_actor(actor, context)` on a real source database: installed by
 * the built CLI, called by a non-superuser on one pooled connection, captured through the built-in
 * PostgreSQL source. One context message per transaction (not per call, not per row), a new one for the
 * next transaction on the same connection, two when the actor changes mid-transaction (a conflict the
 * API shows), none from a rolled-back savepoint.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, createDatabase, freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { setActorSql } from '../../src/sources/postgres/set-actor.js';
import { parseInstallSourceArgs } from '../../src/cli/commands/install-source.js';
import { startPostgresCapture, type PostgresCapture } from '../../src/cli/commands/ingest-postgres.js';
import { decodeContext } from '../../src/decoders/context.js';
import { isConflict } from '../../src/warehouse/attribution.js';
import type { Logger } from '../../src/log.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let src: Awaited<ReturnType<typeof createDatabase>>;
let w: TestWarehouse;
let admin: pg.Pool;
let capture: PostgresCapture | undefined;
const role = `app_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  src = await createDatabase('setactor');
  w = await freshWarehouse();
  admin = new pg.Pool({ connectionString: src.url, max: 2 });
  await admin.query(`create table t (id int primary key, v text); create publication p for table t;
    create role ${role} login password 'app-pw'; grant select, insert, update, delete on t to ${role}`);
  await admin.query(`select pg_create_logical_replication_slot('s', 'pgoutput')`);
});

afterAll(async () => {
  await capture?.stop().catch(() => {});
  await admin?.query(`select pg_drop_replication_slot('s')`).catch(() => {});
  await admin?.end();
  await src?.drop();
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  await c.query(`drop role if exists ${role}`).finally(() => c.end());
  await w?.destroy();
});

describe('auditql install-source + auditql.set_actor', () => {
  it('`auditql install-source --print` writes sql/source/set_actor.sql, with the context prefix put in', async () => {
    const file = readFileSync(`${ROOT}sql/source/set_actor.sql`, 'utf8');
    expect(setActorSql()).toBe(file);
    const printed = await run(process.execPath, [`${ROOT}bin/auditql.js`, 'install-source', '--print'], { cwd: ROOT });
    expect(printed.stdout).toBe(file);
    // The prefix goes exactly where the default stands (the message and its comment), quoted, and nowhere else.
    const custom = setActorSql("my'app$&");
    expect(custom).toContain(`pg_logical_emit_message(true, 'my''app$&', message::text)`);
    expect(custom).toContain(`(prefix 'my''app$&')`);
    expect(custom).not.toContain(`'auditql'`);
    expect(custom.replaceAll(`'my''app$&'`, `'auditql'`)).toBe(file);
  });

  it('validates its options, naming the flag', () => {
    expect(() => parseInstallSourceArgs([])).toThrow(/--source-url is required/);
    expect(() => parseInstallSourceArgs(['--source-url', 'mysql://x'])).toThrow(/postgres:\/\//);
    expect(() => parseInstallSourceArgs(['--print', '--context-prefix', 'a b'])).toThrow(/--context-prefix/);
    expect(parseInstallSourceArgs(['--print'])).toEqual({ sourceUrl: null, contextPrefix: 'auditql', print: true, dbContextPublication: null, uninstall: false });
  });

  it('installs with the built CLI (twice: idempotent)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await run(process.execPath, [`${ROOT}bin/auditql.js`, 'install-source', '--source-url', src.url], { cwd: ROOT });
      expect(r.stderr).toContain('installed auditql.set_actor(actor text, context jsonb)');
      expect(r.stderr).not.toContain('wal_level');
    }
  });

  it('sends one context message per transaction, on a pooled connection, called by an ordinary role', async () => {
    const u = new URL(src.url);
    u.username = role;
    u.password = 'app-pw';
    const app = new pg.Pool({ connectionString: u.toString(), max: 1 }); // one connection, reused by every transaction
    const xids: Record<string, string> = {};
    const tx = async (name: string, statements: [string, unknown[]?][]) => {
      const c = await app.connect();
      try {
        await c.query('BEGIN');
        for (const [s, p] of statements) await c.query(s, p);
        xids[name] = (await c.query(`select (pg_current_xact_id()::text::bigint % 4294967296)::text as x`)).rows[0].x;
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      } finally {
        c.release();
      }
    };
    // The context as a plain object: pg sends it as JSON (as docs/attribution.md's example relies on).
    const actor = (user: string, context: object = {}): [string, unknown[]] => ['SELECT auditql.set_actor($1, $2)', [user, context]];
    await tx('once', [actor('ann@example.com', { requestId: 'r1' }), [`insert into t values (1, 'a')`],
      actor('ann@example.com', { requestId: 'r1' }), [`insert into t values (2, 'b')`], [`update t set v = 'c' where id = 1`]]);
    await tx('next', [actor('ann@example.com', { requestId: 'r1' }), [`insert into t values (3, 'a')`]]);
    await tx('changed', [actor('ann@example.com'), actor('ben@example.com'), [`insert into t values (4, 'a')`]]);
    await tx('savepoint', [[`insert into t values (5, 'a')`], ['SAVEPOINT s'], actor('cat@example.com'), ['ROLLBACK TO SAVEPOINT s'],
      actor('dan@example.com')]);
    await expect(tx('bad', [['SELECT auditql.set_actor($1, $2)', ['x', '[1, 2]']]])).rejects.toThrow(/context must be a JSON object, not array/);
    await app.end();

    capture = await startPostgresCapture({
      pool: w.pool, sourceName: 'setactor', sourceUrl: src.url, publication: 'p', slot: 's', ctx: decodeContext({ server: 'shop' }), log: quiet,
    });
    const deadline = Date.now() + 20_000;
    while ((await w.pool.query(`select count(*)::int as n from auditql.changes`)).rows[0].n < 5) {
      if (Date.now() > deadline) throw new Error('capture did not store the 5 changes');
      await new Promise((r) => setTimeout(r, 25));
    }
    await capture.stop();
    capture = undefined;

    const contexts = await w.pool.query<{ tx_id: string; app_user: string; content: object; server: string }>(
      `select tx_id, app_user, content, server from auditql.contexts order by seq`);
    const byTx = (name: string) => contexts.rows.filter((r) => r.tx_id === xids[name]).map((r) => r.app_user);
    expect(byTx('once')).toEqual(['ann@example.com']);
    expect(byTx('next')).toEqual(['ann@example.com']);
    expect(byTx('changed')).toEqual(['ann@example.com', 'ben@example.com']);
    expect(byTx('savepoint')).toEqual(['dan@example.com']);
    expect(contexts.rows).toHaveLength(5);
    expect(contexts.rows[0]).toMatchObject({ content: { user: 'ann@example.com', requestId: 'r1' }, server: 'shop' });

    const evidence = await w.pool.query<{ key: { id: number }; db_user: null; app_user: string }>(
      `select c.key, at.db_user, at.app_user from auditql.attributions at join auditql.changes_whole c on c.seq = at.change_seq
       where at.evidence = 'APP_CONTEXT' order by c.seq, at.seq`);
    const of = (id: number) => evidence.rows.filter((r) => r.key.id === id).map((r) => ({ dbUser: r.db_user, appUser: r.app_user }));
    expect([1, 2, 3, 5].map((id) => of(id).map((e) => e.appUser))).toEqual([
      ['ann@example.com', 'ann@example.com'], ['ann@example.com'], ['ann@example.com'], ['dan@example.com'], // id 1: insert + update
    ]);
    expect(isConflict(of(4))).toBe(true);
    expect(of(4).map((e) => e.appUser).sort()).toEqual(['ann@example.com', 'ben@example.com']);
  });
});
