-- Departments boards: per bucket and department, the total score and how many active people
-- took part (sent or received), kept in step with board_totals in the same transaction, so
-- the board reads one row per department instead of adding up every employee's row.
CREATE TABLE board_departments (
    period TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    department TEXT NOT NULL,
    score BIGINT NOT NULL DEFAULT 0,
    participants INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, behaviour, department)
);

-- Existing installations start from their current totals.
INSERT INTO board_departments (period, behaviour, department, score, participants)
SELECT period, behaviour, department, SUM(score),
       SUM(CASE WHEN received > 0 OR given > 0 THEN 1 ELSE 0 END)
FROM board_totals
WHERE active = 1
GROUP BY period, behaviour, department;
