/**
 * What a Relation message does not say, read from the source catalog when one arrives (once per relation
 * per replication session, and again after the server invalidates it): each column's `format_type()` and
 * the table's primary key. The replica identity alone cannot give the key: under REPLICA IDENTITY FULL every
 * column is flagged. A failed lookup is not fatal: the record then carries nulls and the decoder falls back
 * to `--key`, a column `id` or the whole row.
 */
import type pg from 'pg';
import type { Pgoutput } from 'pg-logical-replication';
import type { Logger } from '../../log.js';
import type { PgRelation } from '../../decoders/pgoutput/record.js';

const CATALOG_SQL = `
  select a.attname as name, a.atttypid::int as type_oid, format_type(a.atttypid, a.atttypmod) as type_name,
         array_position(pk.indkey::int2[], a.attnum) as pk_position
  from pg_attribute a
  left join pg_index pk on pk.indrelid = a.attrelid and pk.indisprimary
  where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped`;

interface CatalogRow {
  name: string;
  type_oid: number;
  type_name: string;
  pk_position: number | null;
}

export class RelationCatalog {
  constructor(private readonly pool: pg.Pool, private readonly log: Logger) {}

  async describe(m: Pgoutput.MessageRelation): Promise<PgRelation> {
    let rows: CatalogRow[] = [];
    try {
      rows = (await this.pool.query<CatalogRow>(CATALOG_SQL, [m.relationOid])).rows;
    } catch (err) {
      this.log.warn(`could not read the catalog entry of ${m.schema}.${m.name} (${(err as Error).message}); its changes are keyed without its primary key`);
    }
    const byName = new Map(rows.map((r) => [r.name, r]));
    const pk = rows.filter((r) => r.pk_position !== null).sort((a, b) => a.pk_position! - b.pk_position!).map((r) => r.name);
    return {
      oid: m.relationOid,
      schema: m.schema,
      table: m.name,
      replicaIdentity: m.replicaIdentity,
      columns: m.columns.map((c) => {
        const cat = byName.get(c.name);
        return {
          name: c.name,
          typeOid: c.typeOid,
          typeMod: c.typeMod,
          // the catalog may have moved on since this WAL was written: trust it only for the same type
          typeName: cat && cat.type_oid === c.typeOid ? cat.type_name : (c.typeName ?? null),
          isKey: (c.flags & 1) === 1,
        };
      }),
      primaryKey: pk.length > 0 && pk.every((name) => m.columns.some((c) => c.name === name)) ? pk : null,
    };
  }
}
