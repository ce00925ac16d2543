import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { arraySource, maxwellRow } from '../helpers/array-source.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { decodeContext } from '../../src/decoders/context.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import type { Source } from '../../src/contracts/source.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w?.destroy(); });

const row = maxwellRow;

describe('IngestPipeline', () => {
  it('dead-letters a record the warehouse cannot store (NUL) without failing the good ones in its batch', async () => {
    const decoder = await loadDecoder('maxwell');
    const source = arraySource([row(1, 'ok'), row(2, 'bad\u0000name'), row(3, 'also ok')]);
    const summary = await new IngestPipeline({
      sourceName: 'nul', source, decoderFor: () => decoder, ctx: decodeContext(), sink: new WarehouseSink(w.pool),
    }).run();
    expect(summary).toMatchObject({ read: 3, stored: 2, deadLettered: 1 });
    const dl = await w.pool.query(`select error_code, convert_from(raw_value, 'UTF8') as raw from auditql.dead_letters where source = 'nul'`);
    expect(dl.rows).toEqual([{ error_code: 'AUDITQL_UNSUPPORTED_RECORD', raw: row(2, 'bad\u0000name') }]);
    expect(source.acked).toEqual(['3']);
  });

  it('acknowledges a batch only after the warehouse committed it, and stops on a permanent error', async () => {
    const decoder = await loadDecoder('maxwell');
    const source = arraySource([row(1, 'a'), row(2, 'b'), row(3, 'c'), row(4, 'd')]);
    let writes = 0;
    const sink = new WarehouseSink(w.pool);
    const failing = {
      async write(batch: Parameters<WarehouseSink['write']>[0]) {
        writes++;
        if (writes === 2) throw Object.assign(new Error('disk full'), { code: '53100' });
        return sink.write(batch);
      },
    };
    const p = new IngestPipeline({ sourceName: 'ack', source, decoderFor: () => decoder, ctx: decodeContext(), sink: failing, batchSize: 2 });
    await expect(p.run()).rejects.toThrow(/disk full/);
    expect(source.acked).toEqual(['2']);
    const n = await w.pool.query(`select count(*)::int as n from auditql.changes where source = 'ack'`);
    expect(n.rows[0].n).toBe(2);
    const cp = await w.pool.query(`select position from auditql.checkpoints where source = 'ack'`);
    expect(cp.rows).toEqual([{ position: '2' }]);
  });
});

describe('dead letters', () => {
  it('say why a record is not JSON without quoting its content', async () => {
    const { decodeRecord } = await import('../../src/ingest/decode-record.js');
    for (const format of ['debezium', 'auto']) {
      const decoder = await loadDecoder(format);
      const d = await decodeRecord(decoder, { position: 'x', value: Buffer.from('{"email": secret@example.com}') }, decodeContext());
      expect(d).toMatchObject({ kind: 'dead', code: 'AUDITQL_UNDECODABLE_RECORD' });
      expect(JSON.stringify(d)).not.toMatch(/secret/);
    }
  });
});

describe('backpressure', () => {
  it('never reads the source more than two batches ahead of the warehouse, even when timer flushes dominate', async () => {
    const decoder = await loadDecoder('maxwell');
    let read = 0;
    let written = 0;
    let maxAhead = 0;
    const source: Source = {
      description: 'fast',
      async *records() {
        for (let i = 1; i <= 3000; i++) {
          // like a file read in chunks: give timers a turn every 100 records
          if (i % 100 === 0) await new Promise((r) => setTimeout(r, 2));
          read++;
          maxAhead = Math.max(maxAhead, read - written);
          yield { position: `bp${i}`, value: Buffer.from(row(i, `n${i}`)) };
        }
      },
    };
    const sink = new WarehouseSink(w.pool);
    const slow = {
      async write(batch: Parameters<WarehouseSink['write']>[0]) {
        await new Promise((r) => setTimeout(r, 40)); // the warehouse lags
        const r = await sink.write(batch);
        written += batch.events.length;
        return r;
      },
    };
    // flushMs 1: a timer flush fires long before a batch fills, so only the write queue can hold the source back
    const summary = await new IngestPipeline({ sourceName: 'bp', source, decoderFor: () => decoder, ctx: decodeContext(), sink: slow, batchSize: 500, flushMs: 1 }).run();
    expect(summary.stored).toBe(3000);
    expect(maxAhead).toBeLessThanOrEqual(3 * 500);
  });
});
