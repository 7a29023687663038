DROP TABLE audit_log;
DROP TABLE behaviours;
DROP TABLE employees;
