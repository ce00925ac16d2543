/**
 * Migrations that build or drop indexes without blocking ingest (migrations/README.md "Index builds that do
 * not block ingest"). A file whose first line is `-- auditql:concurrent-indexes` holds only
 *
 *   CREATE INDEX name ON auditql.table (columns) [WHERE predicate];
 *   DROP INDEX auditql.name;
 *
 * and runs outside a transaction, one statement after the other. PostgreSQL cannot build an index on a
 * partitioned table concurrently, so a CREATE is carried out as: an invalid index on the parent alone
 * (`ON ONLY`), then per partition `CREATE INDEX CONCURRENTLY` and `ALTER INDEX … ATTACH PARTITION`; the
 * parent becomes valid when every partition's index is attached. Every step can be repeated: a run that
 * stopped half way (killed, cancelled, a lock it gave up on) is finished by the next run, and the
 * migration is recorded only after its last statement (migrate.ts).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { AuditqlError, ErrorCode } from '../errors.js';
import { PARTITION_LOCK, takeSessionLock } from './locks.js';
import { retryOnLockTimeout, shortLockStatement, type ShortLockOptions } from './short-lock-ddl.js';

export const CONCURRENT_INDEXES_DIRECTIVE = '-- auditql:concurrent-indexes';

export interface CreateIndex {
  readonly kind: 'create';
  readonly name: string;
  readonly table: string;
  /** The text between the parentheses, as written. */
  readonly columns: string;
  readonly where: string | null;
}
export interface DropIndex {
  readonly kind: 'drop';
  readonly name: string;
}
export type IndexStatement = CreateIndex | DropIndex;

export interface ConcurrentIndexOptions extends ShortLockOptions {
  /** The warehouse's partitioning path (migrate.ts): hypertables instead of declarative partitions. */
  readonly timescaledb: boolean;
  readonly log?: (line: string) => void;
}

export const isConcurrentIndexMigration = (raw: string): boolean => raw.split('\n', 1)[0]!.trim() === CONCURRENT_INDEXES_DIRECTIVE;

const IDENT = '[a-z_][a-z0-9_]{0,62}';
const CREATE = new RegExp(`^CREATE INDEX (${IDENT}) ON auditql\\.(${IDENT}) ?\\((.*)$`, 'is');
const DROP = new RegExp(`^DROP INDEX auditql\\.(${IDENT})$`, 'i');

/** The statements of a concurrent-indexes file; anything else in it is refused before any of it runs. */
export function parseConcurrentIndexes(file: string, raw: string): IndexStatement[] {
  const body = raw.split('\n').filter((line) => !line.trim().startsWith('--')).join('\n');
  const statements = body.split(';').map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s !== '');
  return statements.map((s) => {
    const drop = DROP.exec(s);
    if (drop) return { kind: 'drop', name: drop[1]!.toLowerCase() };
    const create = CREATE.exec(s);
    const rest = create ? splitColumns(create[3]!) : null;
    if (!create || !rest) {
      throw new AuditqlError(ErrorCode.BAD_CONFIG,
        `${file}: a concurrent-indexes migration holds only "CREATE INDEX name ON auditql.table (…) [WHERE …];" and "DROP INDEX auditql.name;", not: ${s}`);
    }
    return { kind: 'create', name: create[1]!.toLowerCase(), table: create[2]!.toLowerCase(), columns: rest.columns, where: rest.where };
  });
}

/** `a, (f(b)), c) WHERE p` → the columns up to the parenthesis that closes the list, and the predicate. */
function splitColumns(afterOpen: string): { columns: string; where: string | null } | null {
  let depth = 1;
  for (let i = 0; i < afterOpen.length; i++) {
    if (afterOpen[i] === '(') depth++;
    if (afterOpen[i] === ')' && --depth === 0) {
      const tail = afterOpen.slice(i + 1).trim();
      const where = /^WHERE (.+)$/is.exec(tail);
      if (tail !== '' && !where) return null;
      return { columns: afterOpen.slice(0, i).trim(), where: where ? where[1]!.trim() : null };
    }
  }
  return null;
}

const definition = (ix: CreateIndex): string => `(${ix.columns})${ix.where ? ` WHERE ${ix.where}` : ''}`;

/**
 * The name of a partition's own index: `<partition>_<index>`, shortened with a hash where that passes
 * PostgreSQL's 63 bytes. Fixed, so that a later run finds what an interrupted one left.
 */
export function childIndexName(partition: string, index: string): string {
  const name = `${partition}_${index}`;
  if (name.length <= 63) return name;
  return `${name.slice(0, 54)}_${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/** true/false: the index exists and is (in)valid; null: no such index. */
async function indexValid(client: pg.PoolClient, qualified: string): Promise<boolean | null> {
  const r = await client.query<{ valid: boolean }>('select indisvalid as valid from pg_index where indexrelid = to_regclass($1)', [qualified]);
  return r.rows[0]?.valid ?? null;
}

/**
 * `CREATE INDEX CONCURRENTLY` of `name` on one table, first dropping (concurrently) an invalid index of
 * that name: an interrupted concurrent build leaves one behind, which is never used by queries but still
 * written on every insert. Takes SHARE UPDATE EXCLUSIVE on the table only, which writers do not conflict
 * with; the build waits for transactions older than it, so no lock_timeout here.
 */
async function buildConcurrently(client: pg.PoolClient, schema: string, table: string, name: string, ix: CreateIndex): Promise<void> {
  const qualified = `${schema}.${name}`;
  const valid = await indexValid(client, qualified);
  if (valid === true) return;
  if (valid === false) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified}`);
  await client.query(`CREATE INDEX CONCURRENTLY ${name} ON ${schema}.${table} ${definition(ix)}`);
}

interface Partition {
  readonly schema: string;
  readonly name: string;
  readonly isDefault: boolean;
}

/** The table's partitions that have no index attached to the parent index yet, the default first. */
async function partitionsLacking(client: pg.PoolClient, table: string, parentIndex: string): Promise<Partition[]> {
  const r = await client.query<Partition>(
    `select n.nspname as schema, c.relname as name, pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' as "isDefault"
       from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_namespace n on n.oid = c.relnamespace
      where i.inhparent = $1::regclass
        and not exists (select 1 from pg_inherits ii join pg_index x on x.indexrelid = ii.inhrelid
                         where ii.inhparent = $2::regclass and x.indrelid = c.oid)
      order by 3 desc, 2`,
    [`auditql.${table}`, parentIndex],
  );
  return r.rows;
}

/** Any partition index already attached to the parent index (to have PostgreSQL check the parent's validity again). */
async function anAttachedChild(client: pg.PoolClient, parentIndex: string): Promise<string | null> {
  const r = await client.query<{ child: string }>(
    `select i.inhrelid::regclass::text as child from pg_inherits i where i.inhparent = $1::regclass limit 1`, [parentIndex]);
  return r.rows[0]?.child ?? null;
}

const UNDEFINED_TABLE = '42P01';
const DEADLOCK = '40P01';
/** Deadlocks a build may lose (each leaves an invalid index, dropped and built again) before the run fails. */
const MAX_DEADLOCKS = 10;

async function createOnPartitioned(client: pg.PoolClient, ix: CreateIndex, o: ConcurrentIndexOptions): Promise<void> {
  const parent = `auditql.${ix.name}`;
  // SHARE on the parent table for a moment (no partition is read): waits behind open writers, hence short.
  if ((await indexValid(client, parent)) === null) {
    await shortLockStatement(client, `CREATE INDEX IF NOT EXISTS ${ix.name} ON ONLY auditql.${ix.table} ${definition(ix)}`, o);
  }
  // A partition created from now on gets its index cloned and attached by PostgreSQL; the ones that
  // exist get theirs here. Loop until none lacks one: retention may drop a partition meanwhile.
  let deadlocks = 0;
  for (;;) {
    const lacking = await partitionsLacking(client, ix.table, parent);
    if (lacking.length === 0) {
      if (await indexValid(client, parent)) return;
      // Every partition has its index, yet the parent is invalid: the last partition that lacked one
      // was dropped rather than attached. Attaching an attached index again re-checks the parent.
      const child = await anAttachedChild(client, parent);
      if (child === null) throw new AuditqlError(ErrorCode.INTERNAL, `${parent} stays invalid with no partition index attached`);
      await shortLockStatement(client, `ALTER INDEX ${parent} ATTACH PARTITION ${child}`, o);
      if (await indexValid(client, parent)) return;
      throw new AuditqlError(ErrorCode.INTERNAL, `${parent} stays invalid although every partition has its index`);
    }
    for (const p of lacking) {
      const child = childIndexName(p.name, ix.name);
      o.log?.(`building ${p.schema}.${child} concurrently`);
      try {
        await onPartition(client, p, () => buildConcurrently(client, p.schema, p.name, child, ix));
        // SHARE UPDATE EXCLUSIVE on the parent index, ACCESS EXCLUSIVE on the (new) partition index only.
        await shortLockStatement(client, `ALTER INDEX ${parent} ATTACH PARTITION ${p.schema}.${child}`, o);
      } catch (err) {
        const code = (err as { code?: string }).code;
        // Retention dropping this partition waits for the build, and the build for its snapshot: one of
        // them loses. If the build did, the next pass builds it again (or finds the partition gone).
        if (code === DEADLOCK && ++deadlocks <= MAX_DEADLOCKS) {
          o.log?.(`the build on ${p.schema}.${p.name} lost a deadlock; trying again`);
          continue;
        }
        if (code !== UNDEFINED_TABLE) throw err;
        o.log?.(`partition ${p.schema}.${p.name} went away during the build`); // dropped by retention: nothing to index
      }
    }
  }
}

/**
 * Creating a partition takes ACCESS EXCLUSIVE on the parent and then on the default partition (it checks
 * that no row of the new range sits there). Behind a concurrent build on the default partition it would
 * wait holding the parent — every writer waiting with it — until PostgreSQL found the deadlock (the build
 * waits for the creator's snapshot). Partition creation takes PARTITION_LOCK first (partitions.ts), so
 * holding it here makes the creator wait for the build without locking any table.
 */
async function onPartition(client: pg.PoolClient, p: Partition, build: () => Promise<void>): Promise<void> {
  if (!p.isDefault) return build();
  await takeSessionLock(client, PARTITION_LOCK);
  try {
    await build();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [PARTITION_LOCK]);
  }
}

/**
 * TimescaleDB: no declarative partitions to attach. `WITH (timescaledb.transaction_per_chunk)` builds the
 * chunks' indexes one transaction each, each like a plain CREATE INDEX on that chunk (SHARE: writes to
 * that chunk wait for its build, other chunks are free). Stopped half way it leaves the hypertable's
 * index invalid, which is dropped and built again. With no chunk there is nothing to build, and PGlite
 * (the test server) fails transaction_per_chunk, so those build in one short transaction.
 */
async function createOnHypertable(client: pg.PoolClient, ix: CreateIndex, o: ConcurrentIndexOptions): Promise<void> {
  const index = `auditql.${ix.name}`;
  const plain = `CREATE INDEX ${ix.name} ON auditql.${ix.table} (${ix.columns})`;
  const where = ix.where ? ` WHERE ${ix.where}` : '';
  await retryOnLockTimeout(`${plain} (per chunk)`, o, async () => {
    const valid = await indexValid(client, index);
    if (valid === true) return;
    if (valid === false) await shortLockStatement(client, `DROP INDEX ${index}`, o);
    const r = await client.query<{ chunks: number; wasm: boolean }>(
      `select (select count(*) from show_chunks($1::regclass))::int as chunks, version() ~ 'Emscripten|emcc' as wasm`, [`auditql.${ix.table}`]);
    if (r.rows[0]!.chunks === 0 || r.rows[0]!.wasm) return shortLockStatement(client, plain + where, o);
    await client.query(`SET lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs))}`);
    try {
      await client.query(`${plain} WITH (timescaledb.transaction_per_chunk)${where}`);
    } finally {
      await client.query('RESET lock_timeout');
    }
  });
}

async function tableKind(client: pg.PoolClient, table: string, timescaledb: boolean): Promise<'partitioned' | 'hypertable' | 'table'> {
  const r = await client.query<{ relkind: string }>(`select relkind from pg_class where oid = to_regclass($1)`, [`auditql.${table}`]);
  const relkind = r.rows[0]?.relkind;
  if (relkind === 'p') return 'partitioned';
  if (relkind !== 'r') throw new AuditqlError(ErrorCode.BAD_CONFIG, `auditql.${table} is not a table`);
  if (!timescaledb) return 'table';
  const h = await client.query(`select 1 from timescaledb_information.hypertables where hypertable_schema = 'auditql' and hypertable_name = $1`, [table]);
  return h.rowCount ? 'hypertable' : 'table';
}

/** Run a concurrent-indexes migration (see the top of this file); `client` is outside any transaction. */
export async function runConcurrentIndexes(client: pg.PoolClient, file: string, raw: string, o: ConcurrentIndexOptions): Promise<void> {
  for (const s of parseConcurrentIndexes(file, raw)) {
    if (s.kind === 'drop') {
      // DROP INDEX CONCURRENTLY is refused for a partitioned index; the plain drop is catalog-only but
      // takes ACCESS EXCLUSIVE on the table and every partition, hence short.
      if ((await indexValid(client, `auditql.${s.name}`)) !== null) await shortLockStatement(client, `DROP INDEX IF EXISTS auditql.${s.name}`, o);
      continue;
    }
    const kind = await tableKind(client, s.table, o.timescaledb);
    if (kind === 'partitioned') await createOnPartitioned(client, s, o);
    else if (kind === 'hypertable') await createOnHypertable(client, s, o);
    else await buildConcurrently(client, 'auditql', s.table, s.name, s);
  }
}
