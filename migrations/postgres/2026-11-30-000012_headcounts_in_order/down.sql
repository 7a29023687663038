CREATE OR REPLACE FUNCTION employees_headcount() RETURNS trigger LANGUAGE plpgsql AS $$
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
