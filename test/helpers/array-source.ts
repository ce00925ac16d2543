/** A Source over values in memory, recording what it was acknowledged: for pipeline tests. */
import type { SourceRecord } from '../../src/contracts/records.js';
import type { Source } from '../../src/contracts/source.js';

/** A Maxwell insert of shop.customers (id, name): the smallest real record a test can ingest. */
export const maxwellRow = (id: number, name: string) =>
  JSON.stringify({ database: 'shop', table: 'customers', type: 'insert', ts: 1700000000, xid: 9, data: { id, name } });

/** Record i is at position `p<i>` and checkpoint `{stream: 's', position: '<i>'}` (1-based). */
export function arraySource(values: readonly string[]): Source & { acked: string[] } {
  const acked: string[] = [];
  return {
    description: 'test',
    acked,
    async *records(): AsyncGenerator<SourceRecord> {
      let i = 0;
      for (const v of values) {
        i++;
        yield { position: `p${i}`, value: Buffer.from(v), checkpoint: { stream: 's', position: String(i) } };
      }
    },
    async acknowledge(cps) { acked.push(...cps.map((c) => c.position)); },
  };
}
