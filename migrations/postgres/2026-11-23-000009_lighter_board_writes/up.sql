-- Every send changes about two dozen board rows; what each of those changes costs decides how
-- many postcards a second the service takes. Three things made it dearer than it needs to be:
-- * board_totals_by_employee, an index only `sync_person` used: the primary key now starts
--   with the employee and serves it (buckets are read through the score and department
--   indexes, whose keys start with the bucket).
-- * received and given in board_totals_by_department, left over from before departments had
--   their own totals (000006): with them, no update could be HOT. Without them, the sender's
--   rows (only `given` moves) are updated in place, without touching any index.
-- * The foreign key to employees: a key-share lock on the person for every new board row. The
--   rows are written only for people the postcard's own foreign keys already checked.
ALTER TABLE board_totals DROP CONSTRAINT board_totals_employee_id_fkey;
ALTER TABLE board_totals DROP CONSTRAINT board_totals_pkey;
ALTER TABLE board_totals ADD PRIMARY KEY (employee_id, period, behaviour);
DROP INDEX board_totals_by_employee;
DROP INDEX board_totals_by_department;
CREATE INDEX board_totals_by_department ON board_totals (period, behaviour, department, score);
