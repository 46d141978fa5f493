-- write_rank becomes UTC ticks (100 ns since 0001-01-01, 19 digits) of blob last-modified, then of
-- processed-at, instead of Unix milliseconds clamped at 0 (20 digits each): writes before 1970 or less than
-- a millisecond apart now order correctly. Existing ranks are converted; the detail they never held
-- (below a millisecond, before 1970) stays lost for those rows. A last-modified of 0 (unknown) stays 0.
UPDATE images SET write_rank =
    RIGHT(REPLICATE('0', 19) + CAST(CASE WHEN CAST(SUBSTRING(write_rank, 1, 20) AS BIGINT) = 0 THEN CAST(0 AS BIGINT)
                                         ELSE CAST(SUBSTRING(write_rank, 1, 20) AS BIGINT) * 10000 + CAST(621355968000000000 AS BIGINT) END AS VARCHAR(19)), 19) +
    RIGHT(REPLICATE('0', 19) + CAST(CAST(SUBSTRING(write_rank, 21, 20) AS BIGINT) * 10000 + CAST(621355968000000000 AS BIGINT) AS VARCHAR(19)), 19)
WHERE LEN(write_rank) = 40;
