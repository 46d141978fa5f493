-- The photographer's fields of this round's metadata (lens, ISO and focal lengths as typed columns people filter on;
-- the rest beside them), and which extractor version made each record. Rows written before keep everything they
-- had: lens, ISO and focal length were already in their JSON and are copied out; the new fields stay NULL (their
-- extractor never read them). Records written before the version field existed count as version 1, in the column
-- and in the JSON the store answers with. JSON_VALUE and JSON_MODIFY need compatibility level 130 (SQL Server 2016).
ALTER TABLE images ADD
    lens_model          NVARCHAR(256)   NULL,
    iso                 INT             NULL,
    focal_length        FLOAT           NULL,
    focal_length_35mm   FLOAT           NULL,
    flash_fired         BIT             NULL,
    exposure_program    VARCHAR(32)     NULL,
    white_balance       VARCHAR(16)     NULL,
    artist              NVARCHAR(1024)  NULL,
    copyright           NVARCHAR(1024)  NULL,
    software            NVARCHAR(1024)  NULL,
    color_profile       NVARCHAR(256)   NULL,
    extractor_version   INT             NOT NULL CONSTRAINT df_images_extractor_version DEFAULT 1,
    extractor_build     NVARCHAR(128)   NULL;
GO
UPDATE images SET
    lens_model = JSON_VALUE(record_json, '$.metadata.exif.lensModel'),
    iso = TRY_CAST(JSON_VALUE(record_json, '$.metadata.exif.iso') AS INT),
    focal_length = TRY_CAST(JSON_VALUE(record_json, '$.metadata.exif.focalLength') AS FLOAT),
    record_json = JSON_MODIFY(record_json, '$.extractorVersion', 1);
GO
CREATE INDEX ix_images_failure_class_seq ON images (failure_class) WHERE failure_class IS NOT NULL;
CREATE INDEX ix_images_extractor_version_seq ON images (extractor_version);
