-- Integrations: chat (Slack, Teams) and signed webhooks.
--
-- Teams names people by their Entra object id, SCIM by the provisioning client's id: both
-- land in `external_id`, unique when present.
ALTER TABLE employees ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX employees_external_id ON employees (external_id);

-- Admin-managed webhook subscriptions. `secret` (whsec_...) signs every delivery, so it is
-- kept as it is (an HMAC needs the key); `failing_since` starts a subscription's run of
-- failures, and a day of them disables it (`disabled_reason` says why).
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    format TEXT NOT NULL,
    description TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    include_private BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    failing_since TIMESTAMP,
    disabled_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- What happened, written in the transaction of the change itself (one small row), and
-- turned into deliveries by a background dispatcher, off the request path.
CREATE TABLE integration_events (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The outbox of outgoing HTTP calls (webhook deliveries, Slack Web API calls): claimed like
-- the email outbox, retried with backoff, one row per (event, destination) by `dedupe_key`.
-- For webhooks the row id is the `webhook-id` header, the same on every retry.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    webhook_id TEXT,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    response_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_time ON deliveries (created_at);

-- Every attempt of a delivery, for the admins' delivery log.
CREATE TABLE delivery_attempts (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    webhook_id TEXT,
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    response_code INTEGER,
    error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX delivery_attempts_by_webhook ON delivery_attempts (webhook_id, created_at);

-- Where a postcard's Slack announcement went, so hiding it can delete it.
CREATE TABLE slack_messages (
    postcard_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (postcard_id, channel)
);

-- Slack user id -> the verified email of their profile (users.info), refreshed daily.
CREATE TABLE slack_users (
    slack_id TEXT PRIMARY KEY,
    email TEXT,
    fetched_at TIMESTAMP NOT NULL
);

-- Signatures of signed requests (Slack, Teams) seen in the last minutes: a second request
-- with the same signature is a replay.
CREATE TABLE seen_signatures (
    signature TEXT PRIMARY KEY,
    seen_at TIMESTAMP NOT NULL
);
