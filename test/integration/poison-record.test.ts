/**
 * A record whose values get past its decoder but that the warehouse refuses must not cost the good records
 * of its batch, nor block the stream: the pipeline isolates it (bisection), dead-letters it with its raw
 * bytes and AUDITQL_UNSTORABLE_RECORD, commits the rest and acknowledges past it. The refusal here is
 * PostgreSQL's own: a CHECK constraint added to the warehouse for the test rejects chosen rows, the way a
 * value out of a column's range would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { arraySource, maxwellRow } from '../helpers/array-source.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { decodeContext } from '../../src/decoders/context.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import type { Batch } from '../../src/contracts/batch.js';

let w: TestWarehouse;
beforeAll(async () => {
  w = await freshWarehouse();
  // Rows named "poison" are refused by the warehouse itself (SQLSTATE 23514), as a bad value would be.
  await w.pool.query(`ALTER TABLE auditql.changes ADD CONSTRAINT test_poison CHECK (coalesce(after->>'name', '') NOT LIKE 'poison%')`);
});
afterAll(async () => { await w?.destroy(); });

const row = maxwellRow;

/** The sink, recording the batches it was given and those it committed. */
function countingSink(): WarehouseSink & { writes: Batch[]; committed: Batch[] } {
  const sink = new WarehouseSink(w.pool);
  const writes: Batch[] = [];
  const committed: Batch[] = [];
  return Object.assign(Object.create(sink) as WarehouseSink, {
    writes,
    committed,
    async write(batch: Batch) {
      writes.push(batch);
      const r = await sink.write(batch);
      committed.push(batch);
      return r;
    },
  });
}

describe('a record the warehouse refuses', () => {
  it('is dead-lettered with its raw bytes and the rest of its batch commits, in order, acknowledged past it', async () => {
    const decoder = await loadDecoder('maxwell');
    const values = Array.from({ length: 40 }, (_, i) => row(i + 1, [7, 23].includes(i + 1) ? `poison ${i + 1}` : `good ${i + 1}`));
    const source = arraySource(values);
    const sink = countingSink();
    const summary = await new IngestPipeline({
      sourceName: 'poison', source, decoderFor: () => decoder, ctx: decodeContext(), sink, batchSize: 100,
    }).run();
    expect(summary).toMatchObject({ read: 40, stored: 38, deadLettered: 2, duplicates: 0 });

    const stored = await w.pool.query(`select position from auditql.changes where source = 'poison' order by seq`);
    expect(stored.rows.map((r) => r.position)).toEqual(values.map((_, i) => `p${i + 1}`).filter((p) => p !== 'p7' && p !== 'p23'));
    const dl = await w.pool.query(
      `select position, error_code, error_message, convert_from(raw_value, 'UTF8') as raw from auditql.dead_letters where source = 'poison' order by position`);
    expect(dl.rows).toEqual([
      { position: 'p23', error_code: 'AUDITQL_UNSTORABLE_RECORD', error_message: "the warehouse refused this record's values (SQLSTATE 23514)", raw: values[22] },
      { position: 'p7', error_code: 'AUDITQL_UNSTORABLE_RECORD', error_message: "the warehouse refused this record's values (SQLSTATE 23514)", raw: values[6] },
    ]);
    // The dead letter's message never quotes the refused value.
    expect(JSON.stringify(dl.rows.map((r) => r.error_message))).not.toMatch(/poison/);
    expect(source.acked).toEqual(['40']);
    const cp = await w.pool.query(`select position from auditql.checkpoints where source = 'poison'`);
    expect(cp.rows).toEqual([{ position: '40' }]);
    // Bisection, not one transaction per record: about two writes per level of halving per refusal.
    expect(sink.writes.length).toBeLessThanOrEqual(2 * 2 * Math.ceil(Math.log2(40)) + 1);
    // Only the last piece committed carried the checkpoint.
    expect(sink.committed.map((b) => b.checkpoints.length > 0)).toEqual(sink.committed.map((_, i) => i === sink.committed.length - 1));
  });

  it('re-ingesting the same records stores nothing twice (the refused ones stay dead letters)', async () => {
    const decoder = await loadDecoder('maxwell');
    const values = Array.from({ length: 40 }, (_, i) => row(i + 1, [7, 23].includes(i + 1) ? `poison ${i + 1}` : `good ${i + 1}`));
    const summary = await new IngestPipeline({
      sourceName: 'poison', source: arraySource(values), decoderFor: () => decoder, ctx: decodeContext(), sink: new WarehouseSink(w.pool),
    }).run();
    expect(summary).toMatchObject({ read: 40, stored: 0, deadLettered: 0, duplicates: 40 });
    const n = await w.pool.query(`select count(*)::int as n from auditql.dead_letters where source = 'poison'`);
    expect(n.rows[0].n).toBe(2);
  });

  it('a batch that fails for a reason not tied to its data is not bisected: the run fails and nothing is dead-lettered', async () => {
    const decoder = await loadDecoder('maxwell');
    const real = new WarehouseSink(w.pool);
    let writes = 0;
    const sink = {
      async write(batch: Batch) {
        writes++;
        if (writes === 1) throw Object.assign(new Error('permission denied for table changes'), { code: '42501' });
        return real.write(batch);
      },
    };
    const run = new IngestPipeline({
      sourceName: 'not-data', source: arraySource([row(1, 'a'), row(2, 'b')]), decoderFor: () => decoder, ctx: decodeContext(), sink,
    }).run();
    await expect(run).rejects.toThrow(/permission denied/);
    expect(writes).toBe(1);
    const n = await w.pool.query(`select count(*)::int as n from auditql.dead_letters where source = 'not-data'`);
    expect(n.rows[0].n).toBe(0);
  });
});
