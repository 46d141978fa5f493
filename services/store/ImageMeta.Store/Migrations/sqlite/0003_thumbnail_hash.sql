-- Records gain a thumbnail (kept in record_json) and its 64-bit perceptual hash, stored here as a signed
-- integer (the unsigned hash's bits reinterpreted); the store registers a hamming(a, b) function on each
-- connection to compare two. Rows written before thumbnails existed keep everything they had and get NULL.
-- The partial index covers what the similar-images scan reads (hash and seq).
ALTER TABLE images ADD COLUMN perceptual_hash INTEGER NULL;
CREATE INDEX ix_images_perceptual_hash ON images (perceptual_hash, seq) WHERE perceptual_hash IS NOT NULL;
