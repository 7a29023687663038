-- Departments boards divide by the active headcount of each department: counted from this
-- index alone instead of reading every employee row.
CREATE INDEX employees_by_active_department ON employees (active, department);
