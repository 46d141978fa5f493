-- Counts kept as rows are written, so GET /images/stats and GET /images/timeline read a few rows instead of scanning
-- every image: per (kind, bucket) the number of current images and their bytes, in 2^32 halves so that no sum can
-- overflow (as the scan did before). kind 'format': bucket "<format>/<status>" (format empty for failed records);
-- kind 'month': bucket "yyyy-MM" of sort_time. Each write adds its change in the same transaction, to one of several
-- shards chosen per transaction, so that concurrent writers rarely wait on the same row; readers sum the shards.
-- Existing rows are counted once here, into shard 0.
CREATE TABLE image_summary (
    kind        VARCHAR(8)  NOT NULL,
    bucket      TEXT COLLATE "C"  NOT NULL,
    shard       INTEGER  NOT NULL,
    images      BIGINT  NOT NULL,
    bytes_high  BIGINT  NOT NULL,
    bytes_low   BIGINT  NOT NULL,
    PRIMARY KEY (kind, bucket, shard)
);
INSERT INTO image_summary (kind, bucket, shard, images, bytes_high, bytes_low)
SELECT 'format', COALESCE(format, '') || '/' || status, 0, COUNT(*), COALESCE(SUM(byte_size / 4294967296), 0), COALESCE(SUM(byte_size % 4294967296), 0)
FROM images WHERE is_current = 1 GROUP BY format, status;
INSERT INTO image_summary (kind, bucket, shard, images, bytes_high, bytes_low)
SELECT 'month', substr(sort_time, 1, 7), 0, COUNT(*), 0, 0
FROM images WHERE is_current = 1 GROUP BY substr(sort_time, 1, 7);
