ALTER TABLE board_totals DROP COLUMN revision;
