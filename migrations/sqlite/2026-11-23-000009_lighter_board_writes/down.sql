CREATE TABLE board_totals_old (
    period TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    employee_id TEXT NOT NULL REFERENCES employees(id),
    received INTEGER NOT NULL DEFAULT 0,
    given INTEGER NOT NULL DEFAULT 0,
    endorsements INTEGER NOT NULL DEFAULT 0,
    score BIGINT NOT NULL DEFAULT 0,
    department TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT 1,
    listed BOOLEAN NOT NULL DEFAULT 1,
    unique_senders INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, behaviour, employee_id)
);
INSERT INTO board_totals_old
    (period, behaviour, employee_id, received, given, endorsements, score, department, active, listed, unique_senders)
SELECT period, behaviour, employee_id, received, given, endorsements, score, department, active, listed, unique_senders
FROM board_totals;
DROP TABLE board_totals;
ALTER TABLE board_totals_old RENAME TO board_totals;
CREATE INDEX board_totals_by_score ON board_totals (period, behaviour, score);
CREATE INDEX board_totals_by_department
    ON board_totals (period, behaviour, department, score, active, received, given);
CREATE INDEX board_totals_by_employee ON board_totals (employee_id);
