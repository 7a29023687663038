DROP TRIGGER employees_headcount_delete;
DROP TRIGGER employees_headcount_update;
DROP TRIGGER employees_headcount_insert;
DROP TABLE department_headcounts;
