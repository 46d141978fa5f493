-- An image's life: versions, deletions and the changes feed.
-- is_current: 1 for the version of a blob name (container + name) with the highest write_rank (ties: the later
--   insertion), which queries show by default; older versions are kept (Store:KeepReplacedVersions) or removed.
--   Existing rows: the newest version of each name becomes current; older ones stay, as history. (SMALLINT, not
--   BOOLEAN, so that every provider's SQL compares it with 1.)
-- sort_time: what order=taken sorts by, "yyyy-MM-ddTHH:mm:ss": the camera-local date taken, else the blob's upload
--   time (UTC), else when it was processed (UTC).
-- change_tx, change_seq: where each written row stands in GET /images/changes: the writing transaction's id and a
--   sequence. A reader returns only rows of transactions older than every one still running
--   (pg_snapshot_xmin), in (change_tx, change_seq) order, so a transaction that commits late is never skipped.
-- image_tombstones: ids deleted through DELETE /images/{id}, kept for Store:TombstoneRetention, so that a late save
--   of a deleted version is refused and GET answers 410. image_removals: ids that left the current view (deleted or
--   replaced), for the changes feed, kept as long. thumbnail_deletions: thumbnail blobs still to delete through the
--   thumbnails binding, written in the same transaction as the change that orphans them.
-- Versions of one name are found by md5(name): a name of 1024 characters can exceed a B-tree entry's size limit.
ALTER TABLE images
    ADD COLUMN is_current SMALLINT NOT NULL DEFAULT 1,
    ADD COLUMN sort_time TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN change_tx BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE SEQUENCE image_change_seq;
CREATE INDEX ix_images_name ON images (md5(name), container);
UPDATE images SET
    is_current = CASE WHEN EXISTS (
        SELECT 1 FROM images o WHERE md5(o.name) = md5(images.name) AND o.container = images.container AND o.name = images.name
            AND (o.write_rank > images.write_rank OR (o.write_rank = images.write_rank AND o.seq > images.seq))) THEN 0 ELSE 1 END,
    sort_time = COALESCE(taken_local,
        to_char((record_json->'blob'->>'lastModified')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'),
        to_char(processed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')),
    change_seq = seq;
CREATE INDEX ix_images_sort_time ON images (sort_time, seq) WHERE is_current = 1;
CREATE INDEX ix_images_changes ON images (change_tx, change_seq);
CREATE INDEX ix_images_position ON images (gps_latitude, gps_longitude) WHERE is_current = 1 AND gps_latitude IS NOT NULL;
CREATE TABLE image_tombstones (
    id              TEXT    NOT NULL PRIMARY KEY,
    deleted_ticks   BIGINT  NOT NULL,
    expires_ticks   BIGINT  NOT NULL
);
CREATE INDEX ix_image_tombstones_expires ON image_tombstones (expires_ticks);
CREATE TABLE image_removals (
    n               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT    NOT NULL,
    change_tx       BIGINT  NOT NULL,
    change_seq      BIGINT  NOT NULL,
    removed_ticks   BIGINT  NOT NULL
);
CREATE INDEX ix_image_removals_changes ON image_removals (change_tx, change_seq);
CREATE INDEX ix_image_removals_removed ON image_removals (removed_ticks);
CREATE TABLE thumbnail_deletions (
    name        TEXT    NOT NULL PRIMARY KEY,
    attempts    INTEGER NOT NULL,
    due_ticks   BIGINT  NOT NULL
);
CREATE INDEX ix_thumbnail_deletions_due ON thumbnail_deletions (due_ticks);
