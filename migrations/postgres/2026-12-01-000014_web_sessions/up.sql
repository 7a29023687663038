-- The web app's sign-ins: an HttpOnly cookie holds a random secret, and only its SHA-256 is
-- kept here, so a copy of this table opens no session. Signing out deletes the row.
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    -- The signed-in address (canonical form), resolved against the directory on every
    -- request like a bearer token's, so a deactivation ends the session's use at once.
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
