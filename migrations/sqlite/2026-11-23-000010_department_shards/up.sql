-- Department figures split over shards (see the Postgres migration for why). SQLite has one
-- writer at a time, so it gains nothing, but both backends keep one schema and one code path.
-- SQLite cannot change a primary key in place: the table is copied.
CREATE TABLE board_departments_sharded (
    period TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    department TEXT NOT NULL,
    score BIGINT NOT NULL DEFAULT 0,
    participants INTEGER NOT NULL DEFAULT 0,
    shard INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, behaviour, department, shard)
);
INSERT INTO board_departments_sharded (period, behaviour, department, score, participants, shard)
SELECT period, behaviour, department, score, participants, 0 FROM board_departments;
DROP TABLE board_departments;
ALTER TABLE board_departments_sharded RENAME TO board_departments;
