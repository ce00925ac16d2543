/**
 * Every golden fixture (test/fixtures/<format>/) ingested through the real file source, pipeline and sink
 * into a real PostgreSQL, then read back: the stored events equal the `.expected.json`, and ingesting the
 * same file again stores nothing new.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { contextOf, fixtureCases } from '../helpers/fixtures.js';
import { byKind, readBack } from '../helpers/readback.js';
import { keyProviderFor } from '../helpers/das-crypto.js';
import { FORMATS, loadDecoder } from '../../src/decoders/registry.js';
import { logFramerOf, type DecodeContext } from '../../src/decoders/decoder.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { fileSource } from '../../src/sources/file/file-source.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w?.destroy(); });

/** DAS fixtures name the test key provider they need (`context.keyProviderFixture`); no name, no provider. */
function extraContext(expected: { context?: object }): Partial<DecodeContext> {
  const keyProvider = keyProviderFor(expected.context as { keyProviderFixture?: string } | undefined);
  return keyProvider ? { keyProvider } : {};
}

const formats = FORMATS.filter((f) => fixtureCases(f).length > 0);

describe.each(formats)('%s fixtures, stored and read back', (format) => {
  it.each(fixtureCases(format).map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const decoder = await loadDecoder(format);
    const ctx = contextOf(c.expected, extraContext(c.expected));
    const sourceName = `${format}/${name}`;
    const run = () =>
      new IngestPipeline({
        sourceName,
        source: fileSource({ paths: [c.input], logFramer: logFramerOf(decoder, ctx) }),
        decoderFor: () => decoder,
        ctx,
        sink: new WarehouseSink(w.pool, settleAttribution),
        batchSize: 3, // several batches even for small files
      }).run();

    const first = await run();
    expect({ read: first.read, skipped: first.skipped, deadLettered: first.deadLettered, stored: first.stored }).toEqual({
      read: c.expected.records, skipped: c.expected.skipped, deadLettered: c.expected.deadLettered, stored: c.expected.events.length,
    });
    const stored = await readBack(w.pool, sourceName);
    expect(stored).toEqual(byKind(c.expected.events));
    const dead = await w.pool.query('select error_code, raw_value is not null as has_bytes from auditql.dead_letters where source = $1 order by id', [sourceName]);
    expect(dead.rows.map((r) => r.error_code)).toEqual(c.expected.deadCodes ?? dead.rows.map(() => expect.any(String)));
    expect(dead.rows.every((r) => r.has_bytes)).toBe(true);

    const again = await run();
    expect({ stored: again.stored, duplicates: again.duplicates, deadLettered: again.deadLettered }).toEqual({
      stored: 0, duplicates: c.expected.events.length + c.expected.deadLettered, deadLettered: 0,
    });
  });
});

it('has fixtures for at least one format', () => {
  expect(formats.length).toBeGreaterThan(0);
});
