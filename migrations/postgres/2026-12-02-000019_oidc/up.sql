-- Sign-ins begun with the company's OpenID provider: the state, nonce and PKCE verifier of
-- each, until the provider sends the person back (or ten minutes pass). Kept in the database
-- so any instance can finish what another began.
CREATE TABLE oidc_logins (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
