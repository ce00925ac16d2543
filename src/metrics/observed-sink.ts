/** A Sink that tells an observer how long each write took and how it failed (ingest-metrics.ts). */
import type { Sink } from '../contracts/sink.js';
import type { IngestObserver } from './ingest-observer.js';

export function observedSink(sink: Sink, observer: IngestObserver | undefined): Sink {
  if (!observer) return sink;
  return {
    async write(batch) {
      const start = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
      try {
        const r = await sink.write(batch);
        observer.sinkWrite(seconds());
        return r;
      } catch (err) {
        observer.sinkWrite(seconds(), err);
        throw err;
      }
    },
  };
}
