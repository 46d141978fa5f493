-- Records gain a thumbnail (kept in record_json) and its 64-bit perceptual hash, stored here as a signed
-- bigint (the unsigned hash's bits reinterpreted) so SQL can XOR two hashes and count the differing bits.
-- Rows written before thumbnails existed keep everything they had and get NULL (no hash: never similar).
-- The partial index holds exactly what the similar-images scan reads (hash and seq), so PostgreSQL answers it
-- with an index-only scan instead of reading each row's JSON.
ALTER TABLE images ADD COLUMN perceptual_hash BIGINT NULL;
CREATE INDEX ix_images_perceptual_hash ON images (perceptual_hash, seq) WHERE perceptual_hash IS NOT NULL;
