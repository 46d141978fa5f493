-- Similar-images search through an index (multi-index hashing): the 64-bit perceptual hash cut into four 16-bit bands,
-- band k = bits 16k to 16k+15 (HashBands.Band). Two hashes within d bits agree within floor(d / 4) bits on at least one
-- band (pigeonhole), so a search looks up the band values within that radius of its own in each band's index and checks
-- the exact distance of what it finds. Each index holds the hash too, so the check reads no table row.
ALTER TABLE images ADD COLUMN hash_band0 INTEGER NULL;
ALTER TABLE images ADD COLUMN hash_band1 INTEGER NULL;
ALTER TABLE images ADD COLUMN hash_band2 INTEGER NULL;
ALTER TABLE images ADD COLUMN hash_band3 INTEGER NULL;
-- >> is arithmetic on negative integers (hashes with the top bit set); the mask keeps the band's own 16 bits.
UPDATE images SET
    hash_band0 = perceptual_hash & 65535,
    hash_band1 = (perceptual_hash >> 16) & 65535,
    hash_band2 = (perceptual_hash >> 32) & 65535,
    hash_band3 = (perceptual_hash >> 48) & 65535
WHERE perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band0 ON images (hash_band0, perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band1 ON images (hash_band1, perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band2 ON images (hash_band2, perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
CREATE INDEX ix_images_hash_band3 ON images (hash_band3, perceptual_hash) WHERE is_current = 1 AND perceptual_hash IS NOT NULL;
