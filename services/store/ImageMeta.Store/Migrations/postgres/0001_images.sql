-- One row per image id. write_rank orders writes to the same id ("newer wins"); seq orders pages.
CREATE TABLE images (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT             NOT NULL UNIQUE,
    container       TEXT             NOT NULL,
    name            TEXT             NOT NULL,
    version         TEXT             NULL,
    status          TEXT             NOT NULL,
    format          TEXT             NULL,
    width           INTEGER          NULL,
    height          INTEGER          NULL,
    byte_size       BIGINT           NULL,
    sha256          TEXT             NULL,
    camera_make     TEXT             NULL,
    camera_model    TEXT             NULL,
    taken_local     TEXT             NULL,
    gps_latitude    DOUBLE PRECISION NULL,
    gps_longitude   DOUBLE PRECISION NULL,
    failure_class   TEXT             NULL,
    processed_at    TIMESTAMPTZ      NOT NULL,
    write_rank      TEXT             NOT NULL,
    record_json     JSONB            NOT NULL
);
CREATE INDEX ix_images_status_seq ON images (status, seq);
CREATE INDEX ix_images_format_seq ON images (format, seq);
CREATE INDEX ix_images_container_seq ON images (container, seq);
CREATE INDEX ix_images_sha256 ON images (sha256);
CREATE INDEX ix_images_taken ON images (taken_local);
CREATE INDEX ix_images_size ON images (width, height);
