-- SQLite runs write transactions one at a time: its headcount trigger needs no order.
SELECT 1;
