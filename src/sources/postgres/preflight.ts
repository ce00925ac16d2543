/**
 * Checks before streaming, each failing fast with a message that says what to do (docs/contributing.md
 * "Configuration and lifecycle"): logical WAL, the publication, the slot (created with `--create-slot`), the source's
 * identity — and one warning listing the published tables whose before images will be incomplete.
 */
import pg from 'pg';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { PgSource } from '../../decoders/pgoutput/record.js';
import { sourceClientConfig } from './connection.js';
import { parseLsn } from './lsn.js';

export interface PreflightOptions {
  readonly url: string;
  readonly publication: string;
  readonly slot: string;
  readonly createSlot: boolean;
  readonly log: Logger;
}

export interface PreflightResult {
  readonly source: PgSource;
  /** The slot's confirmed_flush_lsn: the server never streams commits before it. */
  readonly slotConfirmed: bigint;
}

const bad = (message: string) => new AuditqlError(ErrorCode.BAD_CONFIG, message);
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

interface SlotRow {
  plugin: string | null;
  slot_type: string;
  database: string | null;
  confirmed_flush_lsn: string | null;
}

/** IDENTIFY_SYSTEM over a replication connection: proves the role may replicate, and names the cluster. */
async function identifySystem(url: string): Promise<{ systemId: string; database: string }> {
  const client = new pg.Client({ ...sourceClientConfig(url, 'auditql-capture'), replication: 'database' } as pg.ClientConfig);
  client.on('error', () => {});
  try {
    await client.connect();
    const r = await client.query<{ systemid: string; dbname: string }>('IDENTIFY_SYSTEM');
    return { systemId: String(r.rows[0]!.systemid), database: String(r.rows[0]!.dbname) };
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === '28000' || e.code === '42501') throw bad(`the source refused a replication connection (${e.message}); the role needs the REPLICATION attribute and pg_hba.conf a "replication" entry for it`);
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

async function readSlot(pool: pg.Pool, slot: string): Promise<SlotRow | undefined> {
  const r = await pool.query<SlotRow>(
    'select plugin, slot_type, database, confirmed_flush_lsn::text from pg_replication_slots where slot_name = $1', [slot]);
  return r.rows[0];
}

async function ensureSlot(pool: pg.Pool, o: PreflightOptions, database: string): Promise<SlotRow> {
  let row = await readSlot(pool, o.slot);
  if (!row) {
    if (!o.createSlot) throw bad(`replication slot "${o.slot}" does not exist in the source; pass --create-slot to create it (plugin pgoutput)`);
    try {
      const r = await pool.query<{ lsn: string }>(`select lsn::text from pg_create_logical_replication_slot($1, 'pgoutput')`, [o.slot]);
      o.log.info(`created replication slot "${o.slot}" (pgoutput) at LSN ${r.rows[0]!.lsn}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42710') throw err; // created concurrently: use it
    }
    row = await readSlot(pool, o.slot);
    if (!row) throw bad(`replication slot "${o.slot}" vanished right after it was created`);
  }
  if (row.slot_type !== 'logical' || row.plugin !== 'pgoutput') {
    throw bad(`replication slot "${o.slot}" is a ${row.slot_type} slot with plugin ${row.plugin ?? 'none'}; auditql needs a logical slot with plugin pgoutput`);
  }
  if (row.database !== database) {
    throw bad(`replication slot "${o.slot}" belongs to database "${row.database}", not to "${database}" named by --source-url`);
  }
  return row;
}

/** One warning for every published table whose UPDATE/DELETE before images will hold only the key. */
async function warnReplicaIdentity(pool: pg.Pool, o: PreflightOptions): Promise<void> {
  const r = await pool.query<{ name: string; ident: string; has_pk: boolean }>(
    `select format('%I.%I', pt.schemaname, pt.tablename) as name, c.relreplident::text as ident,
            exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary) as has_pk
     from pg_publication_tables pt
     join pg_namespace n on n.nspname = pt.schemaname
     join pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
     where pt.pubname = $1 and c.relreplident <> 'f'
     order by 1`,
    [o.publication],
  );
  if (r.rows.length === 0) return;
  const label: Record<string, string> = { d: 'default', n: 'nothing', i: 'index' };
  const tables = r.rows.map((t) => `${t.name} (${label[t.ident] ?? t.ident}${t.ident === 'd' && !t.has_pk ? ', no primary key' : ''})`);
  o.log.warn(
    `publication "${o.publication}": ${r.rows.length} table(s) without REPLICA IDENTITY FULL: ${tables.join(', ')} — ` +
      `their UPDATE and DELETE changes carry at most the key as the old row (beforeComplete=false); ` +
      `ALTER TABLE … REPLICA IDENTITY FULL gives complete before images`,
  );
}

export async function preflight(pool: pg.Pool, o: PreflightOptions): Promise<PreflightResult> {
  if (!SLOT_NAME.test(o.slot)) throw bad(`--slot ${JSON.stringify(o.slot)}: a slot name is 1-63 lower-case letters, digits and underscores`);
  const wal = await pool.query<{ wal_level: string }>('show wal_level');
  if (wal.rows[0]?.wal_level !== 'logical') {
    throw bad(`the source server has wal_level=${wal.rows[0]?.wal_level}; capture needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart it)`);
  }
  const db = (await pool.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
  const pub = await pool.query('select 1 from pg_publication where pubname = $1', [o.publication]);
  if (pub.rowCount === 0) {
    throw bad(`publication "${o.publication}" does not exist in source database "${db}"; create it first, e.g. CREATE PUBLICATION ${o.publication} FOR TABLE …`);
  }
  const slot = await ensureSlot(pool, o, db);
  await warnReplicaIdentity(pool, o);
  const system = await identifySystem(o.url);
  return {
    source: { systemId: system.systemId, database: db },
    slotConfirmed: slot.confirmed_flush_lsn ? parseLsn(slot.confirmed_flush_lsn) : 0n,
  };
}
