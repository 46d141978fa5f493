-- An image's life: versions, deletions and the changes feed.
-- is_current: 1 for the version of a blob name (container + name) with the highest write_rank (ties: the later
--   insertion), which queries show by default; older versions are kept (Store:KeepReplacedVersions) or removed.
--   Existing rows: the newest version of each name becomes current; older ones stay, as history.
-- sort_time: what order=taken sorts by, "yyyy-MM-ddTHH:mm:ss": the camera-local date taken, else the blob's upload
--   time (UTC), else when it was processed (UTC).
-- row_version: where each written row stands in GET /images/changes. A reader returns only rows below
--   MIN_ACTIVE_ROWVERSION(), so a transaction that commits late is never skipped.
-- image_tombstones: ids deleted through DELETE /images/{id}, kept for Store:TombstoneRetention, so that a late save
--   of a deleted version is refused and GET answers 410. image_removals: ids that left the current view (deleted or
--   replaced), for the changes feed, kept as long. thumbnail_deletions: thumbnail blobs still to delete through the
--   thumbnails binding, written in the same transaction as the change that orphans them.
-- Versions of one name are found by a hash of container and name: NVARCHAR(1024) exceeds an index key's 1,700 bytes.
ALTER TABLE images ADD
    is_current  BIT         NOT NULL CONSTRAINT df_images_is_current DEFAULT 1,
    sort_time   VARCHAR(19) COLLATE Latin1_General_BIN2 NOT NULL CONSTRAINT df_images_sort_time DEFAULT '',
    row_version ROWVERSION,
    name_hash   AS CAST(HASHBYTES('SHA2_256', container + N'|' + name) AS BINARY(32)) PERSISTED;
GO
CREATE INDEX ix_images_name ON images (name_hash);
GO
UPDATE images SET
    is_current = CASE WHEN EXISTS (
        SELECT 1 FROM images o WHERE o.name_hash = images.name_hash AND o.container = images.container AND o.name = images.name
            AND (o.write_rank > images.write_rank OR (o.write_rank = images.write_rank AND o.seq > images.seq))) THEN 0 ELSE 1 END,
    sort_time = COALESCE(taken_local,
        CONVERT(VARCHAR(19), SWITCHOFFSET(CONVERT(DATETIMEOFFSET, JSON_VALUE(record_json, '$.blob.lastModified')), '+00:00'), 126),
        CONVERT(VARCHAR(19), SWITCHOFFSET(processed_at, '+00:00'), 126));
GO
CREATE INDEX ix_images_sort_time ON images (sort_time, seq) WHERE is_current = 1;
CREATE INDEX ix_images_changes ON images (row_version);
CREATE INDEX ix_images_position ON images (gps_latitude, gps_longitude) WHERE is_current = 1 AND gps_latitude IS NOT NULL;
CREATE TABLE image_tombstones (
    id              VARCHAR(64) COLLATE Latin1_General_BIN2 NOT NULL PRIMARY KEY,
    deleted_ticks   BIGINT      NOT NULL,
    expires_ticks   BIGINT      NOT NULL
);
CREATE INDEX ix_image_tombstones_expires ON image_tombstones (expires_ticks);
CREATE TABLE image_removals (
    n               BIGINT      IDENTITY(1,1) NOT NULL PRIMARY KEY,
    id              VARCHAR(64) COLLATE Latin1_General_BIN2 NOT NULL,
    row_version     ROWVERSION,
    removed_ticks   BIGINT      NOT NULL
);
CREATE INDEX ix_image_removals_changes ON image_removals (row_version);
CREATE INDEX ix_image_removals_removed ON image_removals (removed_ticks);
CREATE TABLE thumbnail_deletions (
    name        VARCHAR(128) COLLATE Latin1_General_BIN2 NOT NULL PRIMARY KEY,
    attempts    INT         NOT NULL,
    due_ticks   BIGINT      NOT NULL
);
CREATE INDEX ix_thumbnail_deletions_due ON thumbnail_deletions (due_ticks);
