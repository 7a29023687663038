DROP INDEX board_totals_by_department;
CREATE INDEX board_totals_by_department
    ON board_totals (period, behaviour, department, score, active, received, given);
CREATE INDEX board_totals_by_employee ON board_totals (employee_id);
ALTER TABLE board_totals DROP CONSTRAINT board_totals_pkey;
ALTER TABLE board_totals ADD PRIMARY KEY (period, behaviour, employee_id);
ALTER TABLE board_totals ADD CONSTRAINT board_totals_employee_id_fkey
    FOREIGN KEY (employee_id) REFERENCES employees(id);
