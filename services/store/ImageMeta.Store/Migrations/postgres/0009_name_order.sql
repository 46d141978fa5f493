-- The sweep's reconciliation reads one container's current records in blob-name order (POST images/names), a keyset page
-- at a time. A B-tree on name itself could refuse a 1024-character name (an entry is at most about 2.7 kB), so the index
-- holds the first 200 characters: ordering by that prefix, then by the whole name, is ordering by the name, and the
-- prefix bounds the index range. COLLATE "C" orders by bytes (UTF-8: code points), whatever the database's locale.
CREATE INDEX ix_images_current_name ON images (container, (left(name, 200) COLLATE "C")) WHERE is_current = 1;
