-- Board rows no longer count their writes: services read the buckets that have not ended
-- from the database on every read instead of keeping copies to lay writes over (boards).
ALTER TABLE board_totals DROP COLUMN revision;
