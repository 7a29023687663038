CREATE TABLE board_departments_merged AS
SELECT period, behaviour, department, SUM(score)::BIGINT AS score, SUM(participants)::INTEGER AS participants
FROM board_departments GROUP BY period, behaviour, department;
DELETE FROM board_departments;
ALTER TABLE board_departments DROP CONSTRAINT board_departments_pkey;
ALTER TABLE board_departments DROP COLUMN shard;
INSERT INTO board_departments SELECT period, behaviour, department, score, participants FROM board_departments_merged;
DROP TABLE board_departments_merged;
ALTER TABLE board_departments ADD PRIMARY KEY (period, behaviour, department);
