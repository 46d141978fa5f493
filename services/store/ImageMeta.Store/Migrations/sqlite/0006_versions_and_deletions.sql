-- An image's life: versions, deletions and the changes feed.
-- is_current: 1 for the version of a blob name (container + name) with the highest write_rank (ties: the later
--   insertion), which queries show by default; older versions are kept (Store:KeepReplacedVersions) or removed.
--   Existing rows: the newest version of each name becomes current; older ones stay, as history.
-- sort_time: what order=taken sorts by, "yyyy-MM-ddTHH:mm:ss": the camera-local date taken, else the blob's upload
--   time (UTC), else when it was processed (UTC).
-- change_tx, change_seq: where each written row stands in GET /images/changes (SQLite serializes writers, so one
--   counter, change_counter, bumped per written row, orders them; change_tx stays 0).
-- image_tombstones: ids deleted through DELETE /images/{id}, kept for Store:TombstoneRetention, so that a late save
--   of a deleted version is refused and GET answers 410. image_removals: ids that left the current view (deleted or
--   replaced), for the changes feed, kept as long. thumbnail_deletions: thumbnail blobs still to delete through the
--   thumbnails binding, written in the same transaction as the change that orphans them.
ALTER TABLE images ADD COLUMN is_current INTEGER NOT NULL DEFAULT 1;
ALTER TABLE images ADD COLUMN sort_time TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN change_tx INTEGER NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_images_name ON images (container, name);
UPDATE images SET
    is_current = CASE WHEN EXISTS (
        SELECT 1 FROM images o WHERE o.container = images.container AND o.name = images.name
            AND (o.write_rank > images.write_rank OR (o.write_rank = images.write_rank AND o.seq > images.seq))) THEN 0 ELSE 1 END,
    sort_time = COALESCE(taken_local,
        strftime('%Y-%m-%dT%H:%M:%S', json_extract(record_json, '$.blob.lastModified')),
        strftime('%Y-%m-%dT%H:%M:%S', processed_at)),
    change_seq = seq;
CREATE INDEX ix_images_sort_time ON images (sort_time, seq) WHERE is_current = 1;
CREATE INDEX ix_images_changes ON images (change_tx, change_seq);
CREATE INDEX ix_images_position ON images (gps_latitude, gps_longitude) WHERE is_current = 1 AND gps_latitude IS NOT NULL;
CREATE TABLE change_counter (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    value   INTEGER NOT NULL
);
INSERT INTO change_counter (id, value) SELECT 1, COALESCE(MAX(seq), 0) FROM images;
CREATE TABLE image_tombstones (
    id              TEXT    NOT NULL PRIMARY KEY,
    deleted_ticks   INTEGER NOT NULL,
    expires_ticks   INTEGER NOT NULL
);
CREATE INDEX ix_image_tombstones_expires ON image_tombstones (expires_ticks);
CREATE TABLE image_removals (
    n               INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL,
    change_tx       INTEGER NOT NULL,
    change_seq      INTEGER NOT NULL,
    removed_ticks   INTEGER NOT NULL
);
CREATE INDEX ix_image_removals_changes ON image_removals (change_tx, change_seq);
CREATE INDEX ix_image_removals_removed ON image_removals (removed_ticks);
CREATE TABLE thumbnail_deletions (
    name        TEXT    NOT NULL PRIMARY KEY,
    attempts    INTEGER NOT NULL,
    due_ticks   INTEGER NOT NULL
);
CREATE INDEX ix_thumbnail_deletions_due ON thumbnail_deletions (due_ticks);
