-- The photographer's fields of this round's metadata (lens, ISO and focal lengths as typed columns people filter on;
-- the rest beside them), and which extractor version made each record. Rows written before keep everything they
-- had: lens, ISO and focal length were already in their JSON and are copied out; the new fields stay NULL (their
-- extractor never read them). Records written before the version field existed count as version 1, in the column
-- and in the JSON the store answers with.
ALTER TABLE images ADD COLUMN lens_model TEXT NULL;
ALTER TABLE images ADD COLUMN iso INTEGER NULL;
ALTER TABLE images ADD COLUMN focal_length REAL NULL;
ALTER TABLE images ADD COLUMN focal_length_35mm REAL NULL;
ALTER TABLE images ADD COLUMN flash_fired INTEGER NULL;
ALTER TABLE images ADD COLUMN exposure_program TEXT NULL;
ALTER TABLE images ADD COLUMN white_balance TEXT NULL;
ALTER TABLE images ADD COLUMN artist TEXT NULL;
ALTER TABLE images ADD COLUMN copyright TEXT NULL;
ALTER TABLE images ADD COLUMN software TEXT NULL;
ALTER TABLE images ADD COLUMN color_profile TEXT NULL;
ALTER TABLE images ADD COLUMN extractor_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE images ADD COLUMN extractor_build TEXT NULL;
UPDATE images SET
    lens_model = json_extract(record_json, '$.metadata.exif.lensModel'),
    iso = json_extract(record_json, '$.metadata.exif.iso'),
    focal_length = json_extract(record_json, '$.metadata.exif.focalLength'),
    record_json = json_set(record_json, '$.extractorVersion', 1);
CREATE INDEX ix_images_failure_class_seq ON images (failure_class, seq) WHERE failure_class IS NOT NULL;
CREATE INDEX ix_images_extractor_version_seq ON images (extractor_version, seq);
