-- auditql warehouse: native compression of old chunks on the TimescaleDB path
-- (docs/warehouse.md "TimescaleDB"). The block between the markers runs only there; on the plain path it is
-- removed by the runner (migrations/README.md), and this migration does nothing.
-- Compressed chunks keep answering every read and still take late or redelivered rows (the unique key
-- (source, position, part_at) is enforced across compressed chunks). Segmenting by table keeps one
-- entity's history in few segments; ordering by (part_at, seq) descending matches the read order.
-- {{TIMESCALEDB}}
ALTER TABLE auditql.changes SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'table_name',
  timescaledb.compress_orderby = 'part_at DESC, seq DESC'
);
ALTER TABLE auditql.activity SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'db_user',
  timescaledb.compress_orderby = 'part_at DESC, seq DESC'
);
-- {{/TIMESCALEDB}}
