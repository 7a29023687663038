-- How often each period bucket's totals changed after it ended (a postcard of that time
-- hidden, restored or endorsed), and, under period '*', changes to every bucket (a person's
-- standing, a rebuild). Services keep ended buckets in memory for custom periods and check
-- this table on every read, so a change made anywhere shows at once. A send today changes
-- only buckets that have not ended, which are never kept: it writes nothing here.
CREATE TABLE board_changes (
    period TEXT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
