-- The sweep's reconciliation reads one container's current records in blob-name order (POST images/names), a keyset page
-- at a time. NVARCHAR(1024) exceeds an index key's 1,700 bytes, so the index holds the first 200 characters: ordering by
-- that prefix, then by the whole name, is ordering by the name, and the prefix bounds the index range. A binary
-- collation, so the order is the same whatever the database's collation.
ALTER TABLE images ADD name_prefix AS CAST(LEFT(name, 200) AS NVARCHAR(200)) COLLATE Latin1_General_100_BIN2 PERSISTED;
CREATE INDEX ix_images_current_name ON images (container, name_prefix) WHERE is_current = 1;
