DROP TRIGGER employees_headcount ON employees;
DROP FUNCTION employees_headcount();
DROP TABLE department_headcounts;
