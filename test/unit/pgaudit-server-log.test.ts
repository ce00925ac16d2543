/**
 * `--server-log`: PostgreSQL's own log (no pgAudit) read as activity, from a real PostgreSQL 15 csvlog
 * (test/fixtures/pgaudit-server-log/CAPTURE.md). Statements say who ran what, connections and
 * disconnections who came and went, failed logins are AUTH_FAILURE, errors ERROR; the server's other
 * messages are skipped. Without the flag the same file yields no event (pgAudit entries only).
 */
import { describe, expect, it } from 'vitest';
import { decodeContext } from '../../src/decoders/context.js';
import { pgauditDecoder } from '../../src/decoders/pgaudit/decoder.js';
import { commandOf } from '../../src/decoders/pgaudit/server-log.js';
import type { ActivityEvent } from '../../src/model/events.js';
import { FIXTURES, recordsOf } from '../helpers/fixtures.js';

const FILE = `${FIXTURES}pgaudit-server-log/captured-pg15-csvlog.csv`;

async function decodeAll(serverLog: boolean) {
  const ctx = decodeContext(serverLog ? { serverLog: true } : {});
  const records = await recordsOf(FILE, pgauditDecoder, ctx);
  const results = await Promise.all(records.map((r) => pgauditDecoder.decode(r, ctx)));
  return { records, events: results.flatMap((r) => r.events) as ActivityEvent[], skipped: results.filter((r) => r.skipped).length };
}

describe('pgAudit decoder, --server-log (PostgreSQL without pgAudit)', () => {
  it('reads statements, connections, failed logins and errors from a real csvlog', async () => {
    const { records, events, skipped } = await decodeAll(true);
    expect(records).toHaveLength(43);
    expect(events.length + skipped).toBe(records.length);
    const row = (e: ActivityEvent) => [e.class, e.dbUser, e.database, e.command, e.commandText ?? e.errorMessage];
    expect(events.map(row)).toEqual([
      ['CONNECT', 'postgres', 'postgres', 'CONNECT', null],
      ['ROLE', 'postgres', 'postgres', 'CREATE ROLE', "CREATE ROLE bob LOGIN PASSWORD 'bobpw';"],
      ['DDL', 'postgres', 'postgres', 'CREATE DATABASE', 'CREATE DATABASE shop;'],
      ['DISCONNECT', 'postgres', 'postgres', 'DISCONNECT', null],
      ['CONNECT', 'postgres', 'shop', 'CONNECT', null],
      ['DDL', 'postgres', 'shop', 'CREATE TABLE', 'CREATE TABLE public.products (sku text PRIMARY KEY, price numeric(10,2));'],
      ['ROLE', 'postgres', 'shop', 'GRANT', 'GRANT SELECT, INSERT, UPDATE, DELETE ON public.products TO bob;'],
      ['DISCONNECT', 'postgres', 'shop', 'DISCONNECT', null],
      ['CONNECT', 'bob', 'shop', 'CONNECT', null],
      ['WRITE', 'bob', 'shop', 'INSERT', 'INSERT INTO products VALUES ($1,$2)'],
      ['WRITE', 'bob', 'shop', 'UPDATE', 'UPDATE products SET price = round(price * $2, 2) WHERE sku = $1'],
      ['WRITE', 'bob', 'shop', 'DELETE', "DELETE FROM products WHERE sku = 'nope'"],
      ['WRITE', 'bob', 'shop', 'UPDATE', 'UPDATE products SET price = 1/0'],
      ['ERROR', 'bob', 'shop', null, 'division by zero'],
      ['DISCONNECT', 'bob', 'shop', 'DISCONNECT', null],
      ['AUTH_FAILURE', 'bob', 'shop', 'LOGIN', 'password authentication failed for user "bob"'],
      ['AUTH_FAILURE', 'mallory', 'shop', 'LOGIN', 'password authentication failed for user "mallory"'],
      ['CONNECT', 'bob', 'shop', 'CONNECT', null],
      ['DDL', 'bob', 'shop', 'CREATE TABLE', "/* carol's fix */ CREATE TEMP TABLE t AS SELECT 1; DROP TABLE t"],
      ['DISCONNECT', 'bob', 'shop', 'DISCONNECT', null],
    ]);
    // Who, where, which session, and the transaction where the server knew it.
    const update = events.find((e) => e.command === 'UPDATE')!;
    expect(update).toMatchObject({
      remoteHost: '127.0.0.1', remotePort: '53000', clientApplication: 'nightly-pricing', sessionId: '6b0f690a.36f0',
      pid: '14064', txId: '729', exitCode: '00000', occurredAt: new Date('2026-12-02T00:40:42.949Z'),
    });
    expect(update.extra).toMatchObject({ serverLog: 'statement', logDestination: 'csvlog', vxid: '3/8', commandTag: 'UPDATE' });
    const failed = events.find((e) => e.class === 'AUTH_FAILURE')!;
    expect(failed).toMatchObject({ exitCode: '28P01', rawClass: 'FATAL', remoteHost: '127.0.0.1', remotePort: '53004' });
    // Each event's position is its record's: one per entry.
    expect(new Set(events.map((e) => e.position)).size).toBe(events.length);
  });

  it('without --server-log the same log holds no activity (pgAudit entries only)', async () => {
    const { records, events, skipped } = await decodeAll(false);
    expect(events).toEqual([]);
    expect(skipped).toBe(records.length);
  });

  it('names the command and class of a statement from its text', () => {
    expect(commandOf('  -- why\n(SELECT 1)')).toEqual({ command: 'SELECT', cls: 'READ' });
    expect(commandOf('create or replace view v as select 1')).toEqual({ command: 'CREATE VIEW', cls: 'DDL' });
    expect(commandOf('CREATE UNIQUE INDEX i ON t (a)')).toEqual({ command: 'CREATE INDEX', cls: 'DDL' });
    expect(commandOf('DROP MATERIALIZED VIEW m')).toEqual({ command: 'DROP MATERIALIZED VIEW', cls: 'DDL' });
    expect(commandOf('ALTER ROLE bob PASSWORD NULL')).toEqual({ command: 'ALTER ROLE', cls: 'ROLE' });
    expect(commandOf('COPY t FROM STDIN')).toEqual({ command: 'COPY', cls: 'WRITE' });
    expect(commandOf('COPY t TO STDOUT')).toEqual({ command: 'COPY', cls: 'READ' });
    expect(commandOf('TRUNCATE orders')).toEqual({ command: 'TRUNCATE', cls: 'WRITE' });
    expect(commandOf('BEGIN')).toEqual({ command: 'BEGIN', cls: 'MISC' });
    expect(commandOf('')).toBeNull();
  });
});
