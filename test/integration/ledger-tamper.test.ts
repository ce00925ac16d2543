/**
 * `verify` against tampering done as a superuser after an ingest (docs/ledger.md "What is proven"): each
 * case is caught and named by its seq; the legitimate ones (an untouched log, a retention drop) pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { signCheckpoint, parseCheckpointText } from '../../src/warehouse/ledger/checkpoint.js';
import { generateSigner, parseNote } from '../../src/warehouse/ledger/signed-note.js';
import { verifyLedger, type VerifyReport } from '../../src/warehouse/ledger/verify.js';
import { PartitionManager } from '../../src/warehouse/partitions.js';
import { insertApiAccess } from '../../src/warehouse/queries/api-access.js';
import { mkAccess, mkChange, NEW_DAY, one, ORIGIN, seedLedger, type Seeded } from '../helpers/ledger-seed.js';

let seeded: Seeded[] = [];
afterEach(async () => { for (const s of seeded) await s.w.destroy(); seeded = []; });
const seed = async (...a: Parameters<typeof seedLedger>) => { const s = await seedLedger(...a); seeded.push(s); return s; };

const verify = (s: Seeded, extra: Partial<Parameters<typeof verifyLedger>[1]> = {}) => verifyLedger(s.w.pool, { trusted: [s.signer], ...extra });
const kinds = (r: VerifyReport) => r.divergences.map((d) => [d.kind, d.seq]);
const seqOf = (s: Seeded, sql: string) => one<{ seq: string }>(s.w.pool, sql).then((r) => r.seq);

describe('auditql verify', () => {
  it('passes an untouched log: every row is a leaf, every checkpoint verifies and has the recomputed root', async () => {
    const s = await seed();
    const r = await verify(s);
    expect(r.divergences).toEqual([]);
    expect(r.intact).toBe(true);
    // 3 + 2 + 1 changes/activity/contexts per batch, plus SOURCE attributions for the 5 changes, plus 3 API access records
    const rows = await one<{ n: number }>(s.w.pool, `select ((select count(*) from auditql.changes) + (select count(*) from auditql.activity)
      + (select count(*) from auditql.contexts) + (select count(*) from auditql.attributions) + (select count(*) from auditql.api_access))::int as n`);
    expect(await one(s.w.pool, `select count(*)::int as n from auditql.ledger_leaves where kind = 7`)).toEqual({ n: 3 });
    expect(r.treeSize).toBe(rows.n);
    expect(r.rowsChecked).toBe(rows.n);
    expect(r.checkpointsVerified).toBeGreaterThanOrEqual(2);
    expect(r.latestCheckpoint?.size).toBe(rows.n);
    expect(r.unsealed).toBe(0);
  });

  it('names the seq of a change whose stored field was updated', async () => {
    const s = await seed();
    const seq = await seqOf(s, `select seq::text from auditql.changes where position = 'c3'`);
    await s.w.pool.query(`update auditql.changes set after = jsonb_set(after, '{email}', '"mallory@x"') where seq = $1`, [seq]);
    const r = await verify(s);
    expect(r.intact).toBe(false);
    expect(kinds(r)).toContainEqual(['ROW_ALTERED', seq]);
    expect(r.divergences[0]).toMatchObject({ kind: 'ROW_ALTERED', seq, table: 'changes' });
  });

  it('names the seq of a deleted activity row', async () => {
    const s = await seed();
    const seq = await seqOf(s, `select seq::text from auditql.activity where position = 'a2'`);
    await s.w.pool.query('delete from auditql.activity where seq = $1', [seq]);
    const r = await verify(s);
    expect(kinds(r)).toEqual([['ROW_MISSING', seq]]);
  });

  it('names a fabricated change with a plausible new seq, and one that reuses an activity row’s seq', async () => {
    const s = await seed();
    const head = await seqOf(s, `select (max(seq) + 1)::text as seq from auditql.ledger_leaves`);
    const reused = await seqOf(s, `select seq::text from auditql.activity where position = 'a3'`);
    for (const [seq, pos] of [[head, 'forged1'], [reused, 'forged2']]) {
      await s.w.pool.query(`insert into auditql.changes (seq, source, position, part_at, format, operation, table_name, key, key_text, key_source,
        before_complete, changed_fields, committed_at_source)
        select $1::int8, source, $2, part_at, format, 'DELETE', table_name, key, key_text, key_source, true, '{}', committed_at_source
        from auditql.changes where position = 'c4'`, [seq, pos]);
    }
    const r = await verify(s);
    expect(kinds(r)).toContainEqual(['ROW_ADDED', head]);
    expect(kinds(r)).toContainEqual(['SEQ_REUSED', reused]);
    expect(r.divergences.find((d) => d.kind === 'SEQ_REUSED')!.table).toBe('changes, activity');
  });

  it('names both seqs of two changes whose seqs were swapped', async () => {
    const s = await seed();
    const [a, b] = (await s.w.pool.query(`select seq::text from auditql.changes where position in ('c4', 'c5') order by seq::int8`)).rows.map((x) => x.seq as string);
    await s.w.pool.query(`update auditql.changes set seq = case when seq = $1 then $2::int8 else $1::int8 end where seq in ($1, $2)`, [a, b]);
    const r = await verify(s);
    expect(kinds(r)).toEqual([['SEQ_SWAPPED', a], ['SEQ_SWAPPED', b]]);
  });

  it('names every row of a partition truncated outside retention', async () => {
    const s = await seed();
    const seqs = (await s.w.pool.query(`select seq::text from auditql.changes_p20261120 c order by c.seq`)).rows.map((x) => x.seq);
    await s.w.pool.query('truncate auditql.changes_p20261120');
    const r = await verify(s);
    expect(kinds(r)).toEqual(seqs.map((seq) => ['ROW_MISSING', seq]));
  });

  it('accepts a partition dropped by retention with its signed event, and nothing else missing beside it', async () => {
    const s = await seed();
    const pm = new PartitionManager(s.w.pool);
    const dropped = await pm.dropOlderThan(30, new Date('2026-11-21T00:00:00Z'), { signer: s.signer, origin: ORIGIN });
    expect(dropped).toEqual(['activity_p20261001', 'changes_p20261001']);
    const events = await s.w.pool.query('select partition_name, leaf_count::int as n from auditql.ledger_retention order by partition_name');
    expect(events.rows).toEqual([{ partition_name: 'activity_p20261001', n: 1 }, { partition_name: 'changes_p20261001', n: 2 }]);
    const r = await verify(s);
    expect(r.divergences).toEqual([]);
    expect(r.retentionEvents).toBe(2);

    // a row of a kept day removed beside it is still named
    const seq = await seqOf(s, `select seq::text from auditql.changes where position = 'c5'`);
    await s.w.pool.query('delete from auditql.changes where seq = $1', [seq]);
    expect(kinds(await verify(s))).toEqual([['ROW_MISSING', seq]]);
  });

  it('rejects a retention event signed by another key: the rows it claims are missing', async () => {
    const s = await seed();
    const seqs = (await s.w.pool.query(`select seq::text from auditql.changes_p20261001 c order by c.seq`)).rows.map((x) => x.seq);
    const other = generateSigner(ORIGIN);
    await new PartitionManager(s.w.pool).dropOlderThan(30, new Date('2026-11-21T00:00:00Z'), { signer: other, origin: ORIGIN });
    const r = await verify(s);
    expect(r.divergences.filter((d) => d.kind === 'RETENTION_INVALID')).toHaveLength(2);
    for (const seq of seqs) expect(kinds(r)).toContainEqual(['ROW_MISSING', seq]);
  });

  it('names a checkpoint re-signed with another key, and one whose signature was forged', async () => {
    const s = await seed();
    const cps = (await s.w.pool.query('select tree_size::int as size, note from auditql.ledger_checkpoints order by tree_size')).rows;
    const other = generateSigner(ORIGIN);
    const body = parseCheckpointText(parseNote(cps[0].note).text);
    await s.w.pool.query('update auditql.ledger_checkpoints set note = $1 where tree_size = $2', [signCheckpoint(body, other), cps[0].size]);
    // one base64 digit of the Ed25519 signature changed (the key id, its first 4 bytes, is left alone)
    const sigLine = (cps[1].note as string).split('\n').at(-2)!;
    const tampered = cps[1].note.replace(sigLine, sigLine.slice(0, -6) + (sigLine.at(-6) === 'A' ? 'B' : 'A') + sigLine.slice(-5));
    await s.w.pool.query('update auditql.ledger_checkpoints set note = $1 where tree_size = $2', [tampered, cps[1].size]);
    const r = await verify(s);
    expect(r.divergences.map((d) => [d.kind, d.treeSize])).toEqual([['CHECKPOINT_UNTRUSTED', cps[0].size], ['CHECKPOINT_FORGED', cps[1].size]]);
  });

  it('catches a row rewritten together with its logged leaf: the tree no longer has the signed root', async () => {
    const s = await seed();
    const seq = await seqOf(s, `select seq::text from auditql.changes where position = 'c3'`);
    await s.w.pool.query(`update auditql.changes set source_user = 'root' where seq = $1`, [seq]);
    // recompute the leaf the way the sink does, so rows and logged leaves agree again
    const { leafHashSql, LEAF_TABLES } = await import('../../src/warehouse/ledger/canonical.js');
    await s.w.pool.query(`update auditql.ledger_leaves l set leaf_hash = (select ${leafHashSql(LEAF_TABLES[0]!, 'r')} from auditql.changes r where r.seq = l.seq) where l.seq = $1`, [seq]);
    const r = await verify(s);
    expect(r.intact).toBe(false);
    expect(r.divergences.map((d) => d.kind)).toContain('ROOT_MISMATCH');
  });

  it('catches a warehouse restored from an earlier state with a different history replayed, against a saved checkpoint', async () => {
    const signer = generateSigner(ORIGIN);
    const original = await seed(signer);
    const saved = (await one<{ note: string }>(original.w.pool, 'select note from auditql.ledger_checkpoints order by tree_size desc limit 1')).note;
    // the same signing key, the same first batches, then a different history
    const replayed = await seed(signer, [mkChange('c6', NEW_DAY, 6, 'rewritten@x')]);
    expect((await verify(replayed)).intact).toBe(true); // consistent with itself …
    const r = await verify(replayed, { external: [saved] }); // … but not with what was kept outside
    expect(r.intact).toBe(false);
    expect(r.divergences.map((d) => d.kind)).toEqual(['ROOT_MISMATCH']);
    expect(r.divergences[0]!.detail).toContain('saved checkpoint');
  });

  const accessSeq = (s: Seeded, name: string) => seqOf(s, `select seq::text from auditql.api_access where operation_name = '${name}'`);

  it('names the seq of an API access record updated by a superuser (one ulp of its duration), and of one deleted', async () => {
    const s = await seed();
    const changed = await accessSeq(s, 'Activity');
    const deleted = await accessSeq(s, 'Entity');
    await s.w.pool.query(`update auditql.api_access set duration_ms = 0.10000000000000002 where seq = $1`, [changed]);
    await s.w.pool.query('delete from auditql.api_access where seq = $1', [deleted]);
    const r = await verify(s);
    expect(r.intact).toBe(false);
    expect(r.divergences.map((d) => [d.kind, d.seq, d.table])).toEqual([['ROW_ALTERED', changed, 'api_access'], ['ROW_MISSING', deleted, 'api_access']]);
  });

  it('names an API access record inserted out of band below the logged ones', async () => {
    const s = await seed();
    const first = await accessSeq(s, 'Changes');
    // a record given a seq the API never drew (below the first one logged)
    await s.w.pool.query(`insert into auditql.api_access (seq, at, transport, event, decision)
      values ($1::int8 - 1, now(), 'http', 'operation', 'allowed')`, [first]);
    const r = await verify(s);
    expect(r.divergences.map((d) => [d.kind, d.table])).toEqual([['ROW_ADDED', 'api_access']]);
  });

  it('passes API access records written after the last follower, then logs and seals them with the next batch', async () => {
    const s = await seed();
    await insertApiAccess(s.w.db, [mkAccess('k3', 'Late', 1e-300), mkAccess('k3', 'Later', -0)]);
    const before = await verify(s);
    expect(before.divergences).toEqual([]);
    expect(before.unloggedAccess).toBe(2);
    await s.write([mkChange('c9', NEW_DAY, 9)]);
    await s.sink.ledger.seal();
    const after = await verify(s);
    expect(after.divergences).toEqual([]);
    expect(after.unloggedAccess).toBe(0);
    expect(after.unsealed).toBe(0);
    // the access leaves follow the feed's of the same run, each space in its own seq order
    const kinds7 = (await s.w.pool.query(`select kind from auditql.ledger_leaves order by leaf_index`)).rows.map((x) => x.kind === 7);
    expect(kinds7.slice(-2)).toEqual([true, true]);
  });

  it('verifies from a seq on, taking the leaves below it as logged', async () => {
    const s = await seed();
    const early = await seqOf(s, `select seq::text from auditql.changes where position = 'c1'`);
    const late = await seqOf(s, `select seq::text from auditql.changes where position = 'c5'`);
    await s.w.pool.query(`update auditql.changes set operation = 'INSERT' where seq in ($1, $2)`, [early, late]);
    const r = await verify(s, { fromSeq: BigInt(late) });
    expect(kinds(r)).toEqual([['ROW_ALTERED', late]]);
  });
});
