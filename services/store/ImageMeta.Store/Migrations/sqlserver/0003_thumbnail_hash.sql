-- Records gain a thumbnail (kept in record_json) and its 64-bit perceptual hash, stored here as a signed
-- BIGINT (the unsigned hash's bits reinterpreted) so SQL can XOR two hashes and count the differing bits.
-- Rows written before thumbnails existed keep everything they had and get NULL (no hash: never similar).
-- The filtered index covers what the similar-images scan reads (hash and seq, the clustered key).
ALTER TABLE images ADD perceptual_hash BIGINT NULL;
GO
CREATE INDEX ix_images_perceptual_hash ON images (perceptual_hash) WHERE perceptual_hash IS NOT NULL;
