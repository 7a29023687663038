-- Email: a durable outbox (every email is queued in the transaction of the event that
-- causes it and sent by a worker), one row per manager and week for digests (the unique key
-- that makes a digest happen at most once), and one-time magic sign-in links.
CREATE TABLE outbox (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    -- A natural key for emails that must exist once (a notification per postcard and
    -- recipient); NULL for emails that may repeat (sign-in links).
    dedupe_key TEXT UNIQUE,
    to_address TEXT NOT NULL,
    to_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    unsubscribe_url TEXT,
    message_id TEXT NOT NULL,
    -- queued, sending (claimed by a worker until claimed_until), sent or failed.
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_time ON outbox (created_at);

CREATE TABLE digests (
    manager_id TEXT NOT NULL REFERENCES employees(id),
    week TEXT NOT NULL,
    -- queued (an email is in the outbox) or empty (nothing to tell; no email).
    outcome TEXT NOT NULL,
    outbox_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (manager_id, week)
);

CREATE TABLE magic_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    -- The address as asked (lower case), also for unknown ones: requests are rate-limited
    -- per address whether or not anyone has it, so the limit tells nothing either.
    email TEXT NOT NULL,
    employee_id TEXT REFERENCES employees(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX magic_links_by_email ON magic_links (email, created_at);
