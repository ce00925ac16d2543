/**
 * The part of a change's `extra` that repeats row after row — the connector, its version, the topic, the
 * snapshot flag, a pgoutput relation's oid and replica identity — stored once per distinct value in
 * `auditql.source_blocks` and referenced by `changes.extra_block` (docs/warehouse.md "Storing each fact
 * once", migrations/051_source_blocks.sql). The row keeps the rest (positions, times, key headers).
 *
 * A block's id is the first 16 bytes of the SHA-256 of its JSON text, as a uuid: computed from the content,
 * so the COPY encoding needs no lookup and every writer agrees without coordination; the sink inserts the
 * batch's blocks before its transaction (ON CONFLICT DO NOTHING), so a row never refers to a block a
 * reader cannot see. Readers merge it back with one SQL expression, `changeExtraSql`: the API's
 * column list, the attribution rules and the ledger's canonical bytes all use it, so a row's `extra` reads
 * and hashes as the one jsonb it was decoded as (jsonb merges keys into its own order).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Json } from '../model/json.js';
import type { ChangeEvent } from '../model/events.js';

/** The `extra` fields that are facts of the stream rather than of the row (docs/warehouse.md). */
export const SHARED_EXTRA_FIELDS: readonly string[] = ['connector', 'version', 'snapshot', 'topic', 'server_id', 'relationOid', 'replicaIdentity'];
const SHARED = new Set(SHARED_EXTRA_FIELDS);

export interface SplitExtra {
  /** The block's JSON text and id, or null when the row has none of the shared fields. */
  readonly block: { readonly text: string; readonly id: string } | null;
  /** The row's own fields. */
  readonly own: Readonly<Record<string, Json>>;
}

// Content → id. Bounded: a warehouse has few distinct blocks (connectors × versions × topics); past the bound
// the cache starts over rather than grow without end.
const ids = new Map<string, string>();
const MAX_CACHED = 10_000;

function idOf(text: string): string {
  let id = ids.get(text);
  if (id === undefined) {
    const h = createHash('sha256').update(text, 'utf8').digest('hex');
    id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    if (ids.size >= MAX_CACHED) ids.clear();
    ids.set(text, id);
  }
  return id;
}

// A COPY row asks for its change's split twice in a row (the extra and extra_block cells): the last one is
// kept, as columns.ts keeps the last instant's text. No per-event map on the ingest path.
let lastExtra: object | null = null;
let lastSplit: SplitExtra = { block: null, own: {} };

export function splitExtra(extra: Readonly<Record<string, Json>>): SplitExtra {
  if (extra === lastExtra) return lastSplit;
  let shared: Record<string, Json> | null = null;
  for (const k in extra) {
    if (SHARED.has(k)) (shared ??= {})[k] = extra[k]!;
  }
  let split: SplitExtra = { block: null, own: extra };
  if (shared) {
    const own: Record<string, Json> = {};
    for (const k in extra) if (!SHARED.has(k)) own[k] = extra[k]!;
    const text = JSON.stringify(shared);
    split = { block: { text, id: idOf(text) }, own };
  }
  lastExtra = extra;
  lastSplit = split;
  return split;
}

/**
 * Insert the blocks of `changes` in their own statement, before the batch's transaction: committed before
 * any row refers to them, and never waiting on another writer's open transaction. Every batch sends its
 * distinct blocks (a handful) rather than trusting a cache of what was stored: a warehouse restored or
 * recreated under a running process must not end up with rows whose block it lacks. A block already
 * stored is a no-op (no row written, nothing to flush).
 */
export async function ensureSourceBlocks(pool: pg.Pool, changes: readonly ChangeEvent[] | undefined): Promise<void> {
  if (!changes) return;
  const blocks = new Map<string, string>();
  for (const e of changes) {
    const b = splitExtra(e.extra).block;
    if (b) blocks.set(b.id, b.text);
  }
  if (blocks.size === 0) return;
  await pool.query(
    'INSERT INTO auditql.source_blocks (id, block) SELECT * FROM unnest($1::uuid[], $2::jsonb[]) ON CONFLICT (id) DO NOTHING',
    [[...blocks.keys()], [...blocks.values()]]);
}

/** SQL: the `extra` of the change row aliased `alias`, its block merged back. */
export const changeExtraSql = (alias: string): string =>
  `(case when ${alias}.extra_block is null then ${alias}.extra` +
  ` else (select sb.block from auditql.source_blocks sb where sb.id = ${alias}.extra_block) || ${alias}.extra end)`;
