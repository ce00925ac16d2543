-- auditql warehouse: a change's key stored once (docs/warehouse.md "Storing each fact once"). Where the key
-- is exactly the row image's values of the columns key_text names, the sink now leaves `key` NULL and
-- readers derive it from key_text and the image (src/warehouse/stored-key.ts). Rows stored before keep
-- their key: nothing is rewritten, so this is a catalog change only (no table scan, no index build). The
-- ledger hashes the derived key, the same jsonb as the stored one, so earlier leaves keep verifying.
ALTER TABLE auditql.changes ALTER COLUMN key DROP NOT NULL;
