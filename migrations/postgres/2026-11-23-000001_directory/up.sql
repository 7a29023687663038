-- Directory: employees with reporting lines, the behaviour catalogue, and the audit log.
-- Text sort keys use the "C" collation so that both backends order alike.
CREATE TABLE employees (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    department TEXT COLLATE "C" NOT NULL DEFAULT '',
    manager_id TEXT REFERENCES employees(id),
    timezone TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    role TEXT NOT NULL DEFAULT 'employee',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX employees_by_sort_name ON employees (sort_name, id);
CREATE INDEX employees_by_department ON employees (department, sort_name, id);
CREATE INDEX employees_by_manager ON employees (manager_id);

CREATE TABLE behaviours (
    slug TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    reason TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (created_at, id);

INSERT INTO behaviours (slug, title, description, position, created_at, updated_at) VALUES
 ('customer-obsessed', 'Customer obsessed', 'Started from what the customer needs and worked back from there.', 1, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
 ('above-and-beyond', 'Above and beyond', 'Went further than the job asked to solve a customer''s problem.', 2, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
 ('listens-to-customers', 'Listens to customers', 'Heard what the customer really said and acted on it.', 3, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
 ('owns-the-outcome', 'Owns the outcome', 'Followed a customer issue through to the end, across teams.', 4, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
 ('small-win', 'Small win', 'A small thing done right that made a customer''s day better.', 5, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')),
 ('team-player', 'Team player', 'Helped a colleague so a customer got a better answer, faster.', 6, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'));
