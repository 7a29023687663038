CREATE TABLE board_departments_merged (
    period TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    department TEXT NOT NULL,
    score BIGINT NOT NULL DEFAULT 0,
    participants INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, behaviour, department)
);
INSERT INTO board_departments_merged (period, behaviour, department, score, participants)
SELECT period, behaviour, department, SUM(score), SUM(participants)
FROM board_departments GROUP BY period, behaviour, department;
DROP TABLE board_departments;
ALTER TABLE board_departments_merged RENAME TO board_departments;
