-- The similar-images bands again (HashBands), now three of 22, 21 and 21 bits instead of four of 16: a 16-bit band value
-- is shared by one row in 65,536, too many candidates at ten million rows. band0 = bits 0-21, band1 = bits 22-42,
-- band2 = bits 43-63. The old indexes go first (a column with an index cannot be dropped), so the UPDATE does not
-- maintain them.
DROP INDEX IF EXISTS ix_images_hash_band0 ON images;
DROP INDEX IF EXISTS ix_images_hash_band1 ON images;
DROP INDEX IF EXISTS ix_images_hash_band2 ON images;
DROP INDEX IF EXISTS ix_images_hash_band3 ON images;
GO
ALTER TABLE images DROP COLUMN hash_band3;
GO
-- No shift operator before SQL Server 2022: a BIGINT cast to BINARY(8) is its big-endian bytes (byte 1 the highest).
-- Bytes 6-8 are the low 24 bits; bytes 3-8 the low 48 and bytes 1-4 the high 32, each cast to a non-negative BIGINT,
-- so dividing by 2^22 or 2^11 is a right shift, and the mask keeps the band's own bits.
UPDATE images SET
    hash_band0 = CAST(SUBSTRING(CAST(perceptual_hash AS BINARY(8)), 6, 3) AS INT) & 4194303,
    hash_band1 = CAST((CAST(SUBSTRING(CAST(perceptual_hash AS BINARY(8)), 3, 6) AS BIGINT) / 4194304) & 2097151 AS INT),
    hash_band2 = CAST((CAST(SUBSTRING(CAST(perceptual_hash AS BINARY(8)), 1, 4) AS BIGINT) / 2048) & 2097151 AS INT)
WHERE perceptual_hash IS NOT NULL;
GO
CREATE INDEX ix_images_hash_band0 ON images (hash_band0) INCLUDE (perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band1 ON images (hash_band1) INCLUDE (perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band2 ON images (hash_band2) INCLUDE (perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
