DROP TABLE widget_tokens;
ALTER TABLE employees DROP COLUMN notify_on_postcard;
ALTER TABLE employees DROP COLUMN weekly_digest;
ALTER TABLE employees DROP COLUMN show_on_leaderboard;
DROP TABLE board_totals;
