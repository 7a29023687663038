-- Active employees per department, kept by a trigger on every change to employees (whatever
-- path writes them: the API, imports, the CLI), so a departments board reads one row per
-- department instead of counting the directory on every request.
CREATE TABLE department_headcounts (
    department TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
);

INSERT INTO department_headcounts (department, active)
SELECT department, COUNT(*) FROM employees WHERE active GROUP BY department;

CREATE FUNCTION employees_headcount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.active = NEW.active AND OLD.department = NEW.department THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.active THEN
        UPDATE department_headcounts SET active = active - 1 WHERE department = OLD.department;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.active THEN
        INSERT INTO department_headcounts (department, active) VALUES (NEW.department, 1)
        ON CONFLICT (department) DO UPDATE SET active = department_headcounts.active + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER employees_headcount
    AFTER INSERT OR DELETE OR UPDATE OF active, department ON employees
    FOR EACH ROW EXECUTE FUNCTION employees_headcount();
