-- Camera and lens searches match folded text (Unicode full case folding, done by the store in .NET so that every
-- database compares the same code units: SearchText.Fold). camera_key holds the folded make and model, separated by a
-- line feed (a search term cannot hold one); lens_key the folded lens. Folding can lengthen text (ß is ss) up to three times. The store computes both for existing rows at
-- start-up and records in store_state which folding they were computed with, so a change of the folding recomputes them.
-- A binary collation: LIKE compares code points, never the database collation's case or accent rules (which would
-- also equate ß with ss in some collations and not in others).
ALTER TABLE images ADD
    camera_key  NVARCHAR(1600)  COLLATE Latin1_General_100_BIN2 NULL,
    lens_key    NVARCHAR(800)   COLLATE Latin1_General_100_BIN2 NULL;
CREATE TABLE store_state (
    name    VARCHAR(64)     COLLATE Latin1_General_BIN2 NOT NULL PRIMARY KEY,
    value   BIGINT          NOT NULL
);
