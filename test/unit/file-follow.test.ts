/**
 * The file source in follow mode on a real file: records written after it reached the end arrive as they
 * are appended (a line split across two writes arrives once, whole), a truncated or replaced file is read
 * again from its start, and stop() ends `records()` without a dead letter for a half-written line.
 */
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/contracts/records.js';
import { fileSource } from '../../src/sources/file/file-source.js';

const dir = mkdtempSync(join(tmpdir(), 'auditql-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (n: number) => JSON.stringify({ n }) + '\n';
const valueOf = (r: SourceRecord) => (JSON.parse(r.value!.toString('utf8')) as { n: number }).n;

describe('fileSource({ follow: true })', () => {
  it('yields what is appended, reads a truncated or replaced file again, and ends on stop()', async () => {
    const file = join(dir, 'server.log');
    const source = fileSource({ paths: [file], logFramer: null, follow: true });
    const it = source.records()[Symbol.asyncIterator]();
    const next = async () => {
      const r = await it.next();
      expect(r.done).toBe(false);
      return r.value as SourceRecord;
    };

    // The file does not exist yet: the source waits for it.
    const first = next();
    writeFileSync(file, line(1) + line(2));
    expect(valueOf(await first)).toBe(1);
    expect(valueOf(await next())).toBe(2);

    // Appended after the end was reached, in two writes that split a line.
    const third = next();
    appendFileSync(file, '{"n":');
    appendFileSync(file, '3}\n');
    const r3 = await third;
    expect(valueOf(r3)).toBe(3);
    expect(r3.framingError).toBeUndefined();
    expect(source.lag!()).toEqual([{ stream: `file:${file}`, unit: 'bytes', value: 0 }]);

    // Truncated and rewritten: read from its start again.
    const afterTruncate = next();
    writeFileSync(file, line(10));
    expect(valueOf(await afterTruncate)).toBe(10);

    // Replaced under the same name (a rotation): the new file from its start.
    const other = join(dir, 'server.log.new');
    writeFileSync(other, line(20) + line(21));
    const afterReplace = next();
    renameSync(other, file);
    expect(valueOf(await afterReplace)).toBe(20);
    expect(valueOf(await next())).toBe(21);

    // A half-written line at stop is left for the next run, not dead-lettered; records() ends.
    appendFileSync(file, '{"n":2');
    const end = it.next();
    await source.stop!();
    expect(await end).toEqual({ done: true, value: undefined });
  });
});
