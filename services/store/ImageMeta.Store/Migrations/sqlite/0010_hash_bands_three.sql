-- The similar-images bands again (HashBands), now three of 22, 21 and 21 bits instead of four of 16: a 16-bit band value
-- is shared by one row in 65,536, too many candidates at ten million rows. band0 = bits 0-21, band1 = bits 22-42,
-- band2 = bits 43-63. The old indexes go first (SQLite drops no indexed column), so the UPDATE does not maintain them.
DROP INDEX IF EXISTS ix_images_hash_band0;
DROP INDEX IF EXISTS ix_images_hash_band1;
DROP INDEX IF EXISTS ix_images_hash_band2;
DROP INDEX IF EXISTS ix_images_hash_band3;
ALTER TABLE images DROP COLUMN hash_band3;
-- >> is arithmetic on negative integers (hashes with the top bit set); the mask keeps the band's own bits.
UPDATE images SET
    hash_band0 = perceptual_hash & 4194303,
    hash_band1 = (perceptual_hash >> 22) & 2097151,
    hash_band2 = (perceptual_hash >> 43) & 2097151
WHERE perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band0 ON images (hash_band0, perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band1 ON images (hash_band1, perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band2 ON images (hash_band2, perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
