-- Each board row counts its own changes. Every write of a row adds one (a rebuild starts past
-- the highest), so of two copies of a row, the one with the higher revision is the newer: an
-- instance keeping today's rows in memory lays its own writes and fresh reads over each other
-- in any order and stays exact, without a version row every send would have to update.
ALTER TABLE board_totals ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
