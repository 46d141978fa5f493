-- One row per image id. write_rank orders writes to the same id ("newer wins"); seq orders pages.
-- Text columns that are compared or indexed use a binary collation so ordering is ordinal, as in the other providers.
CREATE TABLE images (
    seq             BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    id              VARCHAR(64)     COLLATE Latin1_General_BIN2 NOT NULL UNIQUE,
    container       NVARCHAR(256)   NOT NULL,
    name            NVARCHAR(1024)  NOT NULL,
    version         NVARCHAR(256)   NULL,
    status          VARCHAR(16)     NOT NULL,
    format          VARCHAR(16)     NULL,
    width           INT             NULL,
    height          INT             NULL,
    byte_size       BIGINT          NULL,
    sha256          VARCHAR(64)     COLLATE Latin1_General_BIN2 NULL,
    camera_make     NVARCHAR(256)   NULL,
    camera_model    NVARCHAR(256)   NULL,
    taken_local     VARCHAR(19)     COLLATE Latin1_General_BIN2 NULL,
    gps_latitude    FLOAT           NULL,
    gps_longitude   FLOAT           NULL,
    failure_class   VARCHAR(32)     NULL,
    processed_at    DATETIMEOFFSET  NOT NULL,
    write_rank      VARCHAR(64)     COLLATE Latin1_General_BIN2 NOT NULL,
    record_json     NVARCHAR(MAX)   NOT NULL
);
CREATE INDEX ix_images_status_seq ON images (status, seq);
CREATE INDEX ix_images_format_seq ON images (format, seq);
CREATE INDEX ix_images_container_seq ON images (container, seq);
CREATE INDEX ix_images_sha256 ON images (sha256);
CREATE INDEX ix_images_taken ON images (taken_local);
CREATE INDEX ix_images_size ON images (width, height);
