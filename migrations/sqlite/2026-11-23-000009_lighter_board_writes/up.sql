-- Every send changes about two dozen board rows; what each of those changes costs decides how
-- many postcards a second the service takes. As on Postgres: the primary key starts with the
-- employee and replaces board_totals_by_employee, board_totals_by_department no longer
-- carries received and given (departments have their own totals since 000006), and the
-- foreign key to employees goes (the postcard's own foreign keys check the people). SQLite
-- changes a primary key or drops a foreign key only by copying the table.
CREATE TABLE board_totals_new (
    period TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    given INTEGER NOT NULL DEFAULT 0,
    endorsements INTEGER NOT NULL DEFAULT 0,
    score BIGINT NOT NULL DEFAULT 0,
    department TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT 1,
    listed BOOLEAN NOT NULL DEFAULT 1,
    unique_senders INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (employee_id, period, behaviour)
);
INSERT INTO board_totals_new
    (period, behaviour, employee_id, received, given, endorsements, score, department, active, listed, unique_senders)
SELECT period, behaviour, employee_id, received, given, endorsements, score, department, active, listed, unique_senders
FROM board_totals;
DROP TABLE board_totals;
ALTER TABLE board_totals_new RENAME TO board_totals;
CREATE INDEX board_totals_by_score ON board_totals (period, behaviour, score);
CREATE INDEX board_totals_by_department ON board_totals (period, behaviour, department, score);
