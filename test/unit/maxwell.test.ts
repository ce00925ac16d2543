import { describe, expect, it } from 'vitest';
import { maxwellDecoder } from '../../src/decoders/maxwell/decoder.js';
import { comparable, decodeFixture, fixtureCases } from '../helpers/fixtures.js';

const cases = fixtureCases('maxwell');

describe('maxwell fixtures', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThan(0));
  for (const c of cases) {
    it(c.name, async () => {
      const got = await decodeFixture(c, maxwellDecoder);
      expect(got.events.map(comparable)).toEqual(c.expected.events);
      expect({ records: got.records, skipped: got.skipped, deadLettered: got.deadLettered, deadCodes: got.deadCodes }).toEqual({
        records: c.expected.records,
        skipped: c.expected.skipped,
        deadLettered: c.expected.deadLettered,
        deadCodes: c.expected.deadCodes ?? [],
      });
    });
  }
});
