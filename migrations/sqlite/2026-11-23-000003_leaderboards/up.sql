-- Leaderboards: per-period totals kept up to date in the transaction of every postcard,
-- endorsement and moderation change, so reading a board never scans the postcards.
-- `period` is a bucket key in the org's timezone: d:2026-11-23, w:2026-11-23 (week start),
-- m:2026-11, q:2026-Q4, y:2026 or all; `behaviour` is a slug, or '' for all behaviours.
-- Unique senders are not additive; they are counted from the postcards for the people shown.
CREATE TABLE board_totals (
    period TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    employee_id TEXT NOT NULL REFERENCES employees(id),
    received INTEGER NOT NULL DEFAULT 0,
    given INTEGER NOT NULL DEFAULT 0,
    endorsements INTEGER NOT NULL DEFAULT 0,
    score BIGINT NOT NULL DEFAULT 0,
    -- The employee's department and standing, repeated from employees (and kept in step when
    -- they change) so boards filter and group without a join.
    department TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT 1,
    listed BOOLEAN NOT NULL DEFAULT 1,
    PRIMARY KEY (period, behaviour, employee_id)
);
CREATE INDEX board_totals_by_score ON board_totals (period, behaviour, score);
-- Also covers the departments board (summed per department without reading the table).
CREATE INDEX board_totals_by_department
    ON board_totals (period, behaviour, department, score, active, received, given);
CREATE INDEX board_totals_by_employee ON board_totals (employee_id);


ALTER TABLE employees ADD COLUMN show_on_leaderboard BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE employees ADD COLUMN weekly_digest BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE employees ADD COLUMN notify_on_postcard BOOLEAN NOT NULL DEFAULT 1;

-- Read-only tokens for intranet widgets; only a SHA-256 of the token is kept.
CREATE TABLE widget_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
