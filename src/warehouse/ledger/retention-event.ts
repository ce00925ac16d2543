/**
 * Signed retention events (docs/ledger.md "Retention"): dropping a daily partition records, in the same
 * transaction and under LEDGER_LOCK, which leaves it held — its table, its part_at range, how many leaves,
 * their seq range and the Merkle root of their leaf hashes in seq order — as a signed note:
 *   <origin>
 *   auditql-retention/1
 *   table <table> partition <partition>
 *   range <from> <to>                 (RFC 3339, the partition's bounds, from inclusive)
 *   leaves <count> seqs <min> <max>   (min and max are "-" when it held none)
 *   root <base64 MTH of the removed leaf hashes>
 *   tree <tree size when it was dropped>
 *   time <RFC 3339>
 * Verification accepts as missing exactly the leaves of that table with part_at in the range, and only
 * when they are that many with that root.
 */
import type pg from 'pg';
import { LEAF_TABLES, leafHashSql } from './canonical.js';
import { appendLeaves, lockLedger } from './append.js';
import { CompactRange } from './merkle.js';
import { signNote, verifyNote, type Signer, type Verifier } from './signed-note.js';
import { AuditqlError, ErrorCode } from '../../errors.js';

const FORMAT = 'auditql-retention/1';

export interface RetentionEvent {
  readonly kind: number;
  readonly table: string;
  readonly partition: string;
  readonly fromMicros: number;
  readonly toMicros: number;
  readonly count: number;
  readonly seqMin: string | null;
  readonly seqMax: string | null;
  readonly root: Buffer;
  readonly treeSize: number;
}

export interface RetentionSigner {
  readonly signer: Signer;
  readonly origin: string;
}

const iso = (micros: number) => new Date(micros / 1000).toISOString();

export function retentionText(origin: string, e: RetentionEvent, time: Date): string {
  return `${origin}\n${FORMAT}\ntable ${e.table} partition ${e.partition}\nrange ${iso(e.fromMicros)} ${iso(e.toMicros)}\n` +
    `leaves ${e.count} seqs ${e.seqMin ?? '-'} ${e.seqMax ?? '-'}\nroot ${e.root.toString('base64')}\ntree ${e.treeSize}\ntime ${time.toISOString()}\n`;
}

export function parseRetentionText(text: string): RetentionEvent {
  const m = /^[^\n]+\nauditql-retention\/1\ntable (\S+) partition (\S+)\nrange (\S+) (\S+)\nleaves (\d+) seqs (\d+|-) (\d+|-)\nroot (\S+)\ntree (\d+)\ntime \S+\n$/.exec(text);
  if (!m) throw new Error('not an auditql retention event');
  const table = LEAF_TABLES.find((t) => t.table === m[1]);
  if (!table?.partitioned) throw new Error(`a retention event names ${m[1]}, which has no partitions`);
  return {
    kind: table.kind, table: table.table, partition: m[2]!,
    fromMicros: Date.parse(m[3]!) * 1000, toMicros: Date.parse(m[4]!) * 1000,
    count: Number(m[5]), seqMin: m[6] === '-' ? null : m[6]!, seqMax: m[7] === '-' ? null : m[7]!,
    root: Buffer.from(m[8]!, 'base64'), treeSize: Number(m[9]),
  };
}

export type RetentionCheck = { readonly ok: true; readonly event: RetentionEvent } | { readonly ok: false; readonly detail: string };

export function openRetention(note: string, trusted: readonly Verifier[]): RetentionCheck {
  const v = verifyNote(note, trusted);
  if (!v.ok) return { ok: false, detail: v.detail };
  try {
    return { ok: true, event: parseRetentionText(v.text) };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/**
 * Bring the log up to every row `relation` holds: the caller holds LEDGER_LOCK and an ACCESS EXCLUSIVE lock
 * on the partition, so no writer can add rows to it any more, but a row it holds may still lie above the
 * watermark while an older writer elsewhere is in flight. Wait for that writer to end (a shared lock on its
 * in-flight marker is granted when it commits or aborts), then append again.
 */
async function settlePartition(client: pg.ClientBase, relation: string) {
  for (;;) {
    const state = await appendLeaves(client);
    const top = (await client.query<{ top: string | null }>(`SELECT max(seq)::text AS top FROM ${relation}`)).rows[0]!.top;
    if (top === null || BigInt(top) <= BigInt(state.lastSeq)) return state;
    const oldest = (await client.query<{ m: string | null }>('SELECT min(marker)::text AS m FROM auditql.feed_writers()')).rows[0]!.m;
    // none left: it ended between the two reads, and the next append covers it
    if (oldest !== null) await client.query('SELECT pg_advisory_xact_lock_shared($1::int8 + $2::int8)', [MARKER_TAG, oldest]);
  }
}

/** The in-flight markers' key offset (migrations/040_concurrent_writers.sql). */
const MARKER_TAG = '4611686018427387904';

/**
 * Drop one daily partition of `table` ([from, to) in UTC) and record its signed retention event, in one
 * transaction. Refuses, dropping nothing, when the partition's rows no longer hash to their logged leaves:
 * tampered evidence is not destroyed by retention.
 */
export async function dropPartitionRecorded(pool: pg.Pool, table: 'changes' | 'activity', partition: string, from: Date, to: Date, s: RetentionSigner): Promise<RetentionEvent> {
  const t = LEAF_TABLES.find((x) => x.table === table)!;
  // a partition of schema auditql by its name; a TimescaleDB chunk by its qualified name (src/warehouse/timescale.ts)
  const relation = partition.includes('.') ? partition : `auditql.${partition}`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // LEDGER_LOCK before the partition: the ledger follower takes them in that order too.
    await lockLedger(client);
    await client.query(`LOCK TABLE ${relation} IN ACCESS EXCLUSIVE MODE`);
    const state = await settlePartition(client, relation);
    const logged = await client.query<{ seq: string; leaf_hash: Buffer }>(
      `SELECT seq, leaf_hash FROM auditql.ledger_leaves WHERE kind = $1 AND part_at >= $2 AND part_at < $3 ORDER BY seq`, [t.kind, from, to]);
    const stored = await client.query<{ seq: string; leaf: Buffer }>(
      `SELECT r.seq, ${leafHashSql(t, 'r')} AS leaf FROM ${relation} r ORDER BY r.seq`);
    const same = logged.rows.length === stored.rows.length &&
      logged.rows.every((l, i) => l.seq === stored.rows[i]!.seq && l.leaf_hash.equals(stored.rows[i]!.leaf));
    if (!same) {
      throw new AuditqlError(ErrorCode.INTERNAL, `retention: ${partition} does not hold the leaves the ledger logged for it; run auditql verify — nothing was dropped`);
    }
    const tree = new CompactRange();
    for (const l of logged.rows) tree.append(l.leaf_hash);
    const event: RetentionEvent = {
      kind: t.kind, table, partition, fromMicros: from.getTime() * 1000, toMicros: to.getTime() * 1000,
      count: logged.rows.length, seqMin: logged.rows[0]?.seq ?? null, seqMax: logged.rows.at(-1)?.seq ?? null,
      root: tree.root(), treeSize: state.size,
    };
    const time = new Date();
    const note = signNote(retentionText(s.origin, event, time), s.signer);
    await client.query(
      `INSERT INTO auditql.ledger_retention (kind, partition_name, range_from, range_to, leaf_count, seq_min, seq_max, removed_root, tree_size, removed_at, key_id, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [t.kind, partition, from, to, event.count, event.seqMin, event.seqMax, event.root, event.treeSize, time, s.signer.keyId.toString('hex'), note],
    );
    await client.query(`DROP TABLE ${relation}`);
    await client.query('COMMIT');
    return event;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
