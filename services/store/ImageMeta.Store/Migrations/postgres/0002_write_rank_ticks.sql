-- write_rank becomes UTC ticks (100 ns since 0001-01-01, 19 digits) of blob last-modified, then of
-- processed-at, instead of Unix milliseconds clamped at 0 (20 digits each): writes before 1970 or less than
-- a millisecond apart now order correctly. Existing ranks are converted; the detail they never held
-- (below a millisecond, before 1970) stays lost for those rows. A last-modified of 0 (unknown) stays 0.
-- The ranks are digits only, so the column's collation orders them as the code does.
UPDATE images SET write_rank =
    lpad((CASE WHEN substr(write_rank, 1, 20)::bigint = 0 THEN 0
               ELSE substr(write_rank, 1, 20)::bigint * 10000 + 621355968000000000 END)::text, 19, '0') ||
    lpad((substr(write_rank, 21, 20)::bigint * 10000 + 621355968000000000)::text, 19, '0')
WHERE length(write_rank) = 40;
