-- Similar-images search through an index (multi-index hashing): the 64-bit perceptual hash cut into four 16-bit bands,
-- band k = bits 16k to 16k+15 (HashBands.Band). Two hashes within d bits agree within floor(d / 4) bits on at least one
-- band (pigeonhole), so a search looks up the band values within that radius of its own in each band's index and checks
-- the exact distance of what it finds. Each filtered index carries the hash (INCLUDE; seq is the clustered key).
ALTER TABLE images ADD
    hash_band0 INT NULL,
    hash_band1 INT NULL,
    hash_band2 INT NULL,
    hash_band3 INT NULL;
GO
-- No shift operator before SQL Server 2022: a BIGINT cast to BINARY(8) is its big-endian bytes, so band 0 (the low 16
-- bits) is bytes 7-8 and band 3 bytes 1-2; two bytes cast to INT are the unsigned band value.
UPDATE images SET
    hash_band0 = CAST(SUBSTRING(CAST(perceptual_hash AS BINARY(8)), 7, 2) AS INT),
    hash_band1 = CAST(SUBSTRING(CAST(perceptual_hash AS BINARY(8)), 5, 2) AS INT),
    hash_band2 = CAST(SUBSTRING(CAST(perceptual_hash AS BINARY(8)), 3, 2) AS INT),
    hash_band3 = CAST(SUBSTRING(CAST(perceptual_hash AS BINARY(8)), 1, 2) AS INT)
WHERE perceptual_hash IS NOT NULL;
GO
CREATE INDEX ix_images_hash_band0 ON images (hash_band0) INCLUDE (perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band1 ON images (hash_band1) INCLUDE (perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band2 ON images (hash_band2) INCLUDE (perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band3 ON images (hash_band3) INCLUDE (perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
