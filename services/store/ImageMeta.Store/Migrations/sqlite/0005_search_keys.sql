-- Camera and lens searches match folded text (Unicode full case folding, done by the store in .NET so that every
-- database compares the same code units: SearchText.Fold). camera_key holds the folded make and model, separated by a
-- line feed (a search term cannot hold one); lens_key the folded lens. Folding can lengthen text (ß is ss) up to three times. The store computes both for existing rows at
-- start-up and records in store_state which folding they were computed with, so a change of the folding recomputes them.
ALTER TABLE images ADD COLUMN camera_key TEXT NULL;
ALTER TABLE images ADD COLUMN lens_key TEXT NULL;
CREATE TABLE store_state (
    name    TEXT    NOT NULL PRIMARY KEY,
    value   INTEGER NOT NULL
);
