/** Ingest golden fixture files (test/fixtures/) through the real file source, pipeline and warehouse sink. */
import type pg from 'pg';
import { contextOf, type FixtureCase } from './fixtures.js';
import { keyProviderFor } from './das-crypto.js';
import { loadDecoder } from '../../src/decoders/registry.js';
import { logFramerOf, type DecodeContext } from '../../src/decoders/decoder.js';
import type { IngestSummary } from '../../src/ingest/summary.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { warehouseSink } from '../../src/ingest/run.js';
import { fileSource } from '../../src/sources/file/file-source.js';

/** Each case in order, as source `sourceOf(case)`; returns each run's summary. */
export async function ingestFixtures(pool: pg.Pool, cases: readonly FixtureCase[], sourceOf: (c: FixtureCase) => string): Promise<IngestSummary[]> {
  const summaries: IngestSummary[] = [];
  for (const c of cases) {
    const decoder = await loadDecoder(c.format);
    const keyProvider = keyProviderFor(c.expected.context as { keyProviderFixture?: string } | undefined);
    const ctx: DecodeContext = contextOf(c.expected, keyProvider ? { keyProvider } : {});
    summaries.push(await new IngestPipeline({
      sourceName: sourceOf(c), source: fileSource({ paths: [c.input], logFramer: logFramerOf(decoder, ctx) }), decoderFor: () => decoder, ctx,
      sink: warehouseSink(pool), batchSize: 50,
    }).run());
  }
  return summaries;
}
