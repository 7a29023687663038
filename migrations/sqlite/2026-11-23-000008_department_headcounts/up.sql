-- Active employees per department, kept by triggers on every change to employees (whatever
-- path writes them: the API, imports, the CLI), so a departments board reads one row per
-- department instead of counting the directory on every request.
CREATE TABLE department_headcounts (
    department TEXT PRIMARY KEY NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
);

INSERT INTO department_headcounts (department, active)
SELECT department, COUNT(*) FROM employees WHERE active GROUP BY department;

CREATE TRIGGER employees_headcount_insert AFTER INSERT ON employees WHEN NEW.active
BEGIN
    INSERT INTO department_headcounts (department, active) VALUES (NEW.department, 1)
    ON CONFLICT (department) DO UPDATE SET active = active + 1;
END;

CREATE TRIGGER employees_headcount_update AFTER UPDATE OF active, department ON employees
WHEN OLD.active != NEW.active OR OLD.department != NEW.department
BEGIN
    UPDATE department_headcounts SET active = active - 1
    WHERE OLD.active AND department = OLD.department;
    INSERT INTO department_headcounts (department, active) SELECT NEW.department, 1 WHERE NEW.active
    ON CONFLICT (department) DO UPDATE SET active = active + 1;
END;

CREATE TRIGGER employees_headcount_delete AFTER DELETE ON employees WHEN OLD.active
BEGIN
    UPDATE department_headcounts SET active = active - 1 WHERE department = OLD.department;
END;
