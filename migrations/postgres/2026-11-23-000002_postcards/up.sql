-- Postcards, their recipients, endorsements, and the Idempotency-Key records of POST /postcards.
-- Ids use the "C" collation so keyset pagination orders alike on both backends.
CREATE TABLE postcards (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    sender_id TEXT NOT NULL REFERENCES employees(id),
    behaviour TEXT NOT NULL REFERENCES behaviours(slug),
    message TEXT NOT NULL,
    customer_name TEXT,
    customer_quote TEXT,
    visibility TEXT NOT NULL,
    endorsement_count INTEGER NOT NULL DEFAULT 0,
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
-- The feed reads newest first; the allowance counts a sender's postcards in one week.
CREATE INDEX postcards_by_time ON postcards (created_at, id);
CREATE INDEX postcards_by_sender ON postcards (sender_id, created_at);
CREATE INDEX postcards_by_behaviour ON postcards (behaviour, created_at);

CREATE TABLE postcard_recipients (
    postcard_id TEXT NOT NULL REFERENCES postcards(id),
    recipient_id TEXT NOT NULL REFERENCES employees(id),
    position INTEGER NOT NULL,
    -- The postcard's sender, behaviour, time and hidden flag, repeated so "who sent these
    -- people postcards in this period" is read from one index, whatever the size of the history.
    sender_id TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (postcard_id, recipient_id)
);
CREATE INDEX postcard_recipients_by_recipient
    ON postcard_recipients (recipient_id, created_at, sender_id, behaviour, hidden);

CREATE TABLE endorsements (
    postcard_id TEXT NOT NULL REFERENCES postcards(id),
    employee_id TEXT NOT NULL REFERENCES employees(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (postcard_id, employee_id)
);

-- One row per (caller, key): `response_status` is NULL while the first request is in flight.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    response_location TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (caller, idem_key)
);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at);
CREATE INDEX audit_log_by_target ON audit_log (target_type, target_id);
