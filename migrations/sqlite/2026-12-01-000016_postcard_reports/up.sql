-- Employees flag a postcard for the admins (hurtful, wrong, a customer's private details):
-- one report per person and postcard. An admin hiding, restoring or dismissing it closes its
-- open reports, so the console's "Reported" list holds what still needs a decision.
CREATE TABLE postcard_reports (
    postcard_id TEXT NOT NULL REFERENCES postcards(id),
    reporter_id TEXT NOT NULL REFERENCES employees(id),
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    PRIMARY KEY (postcard_id, reporter_id)
);
CREATE INDEX postcard_reports_open ON postcard_reports (closed_at, created_at);
