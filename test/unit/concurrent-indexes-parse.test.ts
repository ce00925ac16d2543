/**
 * What a concurrent-indexes migration may hold (migrations/README.md "Index builds that do not block
 * ingest"): the two statement forms, nothing else, refused before any of it runs.
 */
import { describe, expect, it } from 'vitest';
import { childIndexName, isConcurrentIndexMigration, parseConcurrentIndexes } from '../../src/warehouse/concurrent-indexes.js';

const file = (body: string) => `-- auditql:concurrent-indexes\n-- why\n${body}`;

describe('concurrent-indexes migrations', () => {
  it('are marked by their first line only', () => {
    expect(isConcurrentIndexMigration(file(''))).toBe(true);
    expect(isConcurrentIndexMigration(`-- other\n-- auditql:concurrent-indexes\n`)).toBe(false);
    expect(isConcurrentIndexMigration(`CREATE TABLE t ();`)).toBe(false);
  });

  it('hold CREATE INDEX (columns, expressions, a predicate) and DROP INDEX, in order', () => {
    expect(parseConcurrentIndexes('f', file(`CREATE INDEX a_b ON auditql.activity (server, (coalesce(session_id, pid)), part_at)
        WHERE (extra ? 'vxid');
      create index c ON auditql.changes(seq);
      DROP INDEX auditql.old_one;`))).toEqual([
      { kind: 'create', name: 'a_b', table: 'activity', columns: 'server, (coalesce(session_id, pid)), part_at', where: "(extra ? 'vxid')" },
      { kind: 'create', name: 'c', table: 'changes', columns: 'seq', where: null },
      { kind: 'drop', name: 'old_one' },
    ]);
  });

  it('refuse anything else', () => {
    for (const s of [
      'CREATE UNIQUE INDEX u ON auditql.activity (seq);', 'CREATE INDEX CONCURRENTLY x ON auditql.activity (seq);',
      'CREATE INDEX x ON public.activity (seq);', 'CREATE INDEX x ON auditql.activity (seq', 'CREATE INDEX x ON auditql.activity (seq) INCLUDE (part_at);',
      'DROP INDEX auditql.x CASCADE;', 'DROP TABLE auditql.activity;', 'ALTER TABLE auditql.activity ADD COLUMN x int;',
    ]) expect(() => parseConcurrentIndexes('f.sql', file(`DROP INDEX auditql.fine;\n${s}`)), s).toThrow(/f\.sql: a concurrent-indexes migration holds only/);
  });

  it('name each partition index after its partition and index, within 63 bytes', () => {
    expect(childIndexName('activity_p20261121', 'activity_session_partial')).toBe('activity_p20261121_activity_session_partial');
    const long = childIndexName('activity_p20261121', 'a'.repeat(60));
    expect(long.length).toBe(63);
    expect(long).not.toBe(childIndexName('activity_p20261122', 'a'.repeat(60)));
  });
});
