/**
 * `auditql migrate` refuses an applied migration whose file changed, except a comment-only rewording listed
 * with the file's earlier checksum (migrations/README.md "Changing an applied file"): a warehouse migrated
 * before the rewording keeps working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { migrate } from '../../src/warehouse/migrate.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w?.destroy(); });

const setChecksum = (file: string, checksum: string) =>
  w.pool.query('update auditql.schema_migrations set checksum = $2 where name = $1', [file, checksum]);

describe('migration checksums', () => {
  it('accepts the earlier checksum of a comment-only rewording, refuses any other change', async () => {
    const current = (await w.pool.query(`select checksum from auditql.schema_migrations where name = '001_warehouse.sql'`)).rows[0].checksum;
    await setChecksum('001_warehouse.sql', 'b24f27059e08067ce4749ace6887d8f3247797ceebacb32abc7ff9e991c35734');
    await expect(migrate(w.pool)).resolves.toMatchObject({ applied: [] });
    await setChecksum('001_warehouse.sql', '0'.repeat(64));
    await expect(migrate(w.pool)).rejects.toThrow(/migration 001_warehouse.sql was changed after it was applied/);
    await setChecksum('001_warehouse.sql', current);
    await expect(migrate(w.pool)).resolves.toMatchObject({ applied: [] });
  });
});
