/**
 * The exact COPY text the direct write sends for every golden fixture of the file formats, and for a slice of
 * bench:ingest's Debezium workload, and for hand-made Debezium edge cases (test/fixtures/copy/debezium-edges.jsonl:
 * COPY escapes, a `__proto__` column, numbers past 2^53, values PostgreSQL cannot store): what the warehouse stores, byte for byte (direct-write.ts `directCells`,
 * copy-text.ts `copyRow`), with the storability verdict of each event (validate-event.ts). The hot path is
 * tuned for speed; this test holds it to the same bytes. Regenerate only for an intended change of stored
 * bytes: `AUDITQL_UPDATE_GOLDEN=1 npx vitest run test/unit/copy-golden.test.ts`, and say why in the commit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDecoder } from '../../src/decoders/registry.js';
import { directCells } from '../../src/warehouse/direct-write.js';
import { copyRow } from '../../src/warehouse/copy-text.js';
import { unstorable } from '../../src/ingest/validate-event.js';
import { writeDebeziumWorkload } from '../../bench/debezium-workload.js';
import { decodeFixture, fixtureCases, FIXTURES, type FixtureCase } from '../helpers/fixtures.js';

const FORMATS = ['debezium', 'maxwell', 'mapped', 'pgaudit'] as const;
const WORKLOAD_EVENTS = 400;

async function encoded(c: FixtureCase): Promise<string> {
  const decoder = await loadDecoder(c.format);
  const got = await decodeFixture(c, decoder);
  let out = `# records ${got.records} skipped ${got.skipped} dead ${got.deadCodes.join(',')}\n`;
  let seq = 1;
  for (const e of got.events) {
    out += `# ${e.kind} ${JSON.stringify(unstorable(e))}\n`;
    out += copyRow(directCells(e.kind, String(seq++), 'golden', e));
  }
  return out;
}

function expectGolden(name: string, text: string): void {
  const file = join(FIXTURES, 'copy', name);
  if (process.env['AUDITQL_UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
  expect(text === readFileSync(file, 'utf8') ? 'same bytes' : text).toBe('same bytes');
}

describe('stored bytes', () => {
  for (const format of FORMATS) {
    it(`${format} fixtures encode to the golden COPY text`, async () => {
      const cases = fixtureCases(format);
      expect(cases.length).toBeGreaterThan(0);
      let text = '';
      for (const c of cases) text += `## ${c.name}\n` + (await encoded(c));
      expectGolden(`${format}.copy.txt`, text);
    });
  }

  it('Debezium edge cases encode to the golden COPY text', async () => {
    const input = join(FIXTURES, 'copy', 'debezium-edges.jsonl');
    const c: FixtureCase = { format: 'debezium', name: 'edges', input, expected: { records: 0, skipped: 0, deadLettered: 0, events: [] } };
    expectGolden('debezium-edges.copy.txt', await encoded(c));
  });

  it("bench:ingest's Debezium workload encodes to the golden COPY text", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditql-golden-'));
    try {
      const input = join(dir, 'workload.jsonl');
      await writeDebeziumWorkload(input, WORKLOAD_EVENTS);
      const c: FixtureCase = { format: 'debezium', name: 'workload', input, expected: { records: 0, skipped: 0, deadLettered: 0, events: [] } };
      expectGolden('debezium-workload.copy.txt', await encoded(c));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
