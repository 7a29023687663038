-- Directory sync over SCIM 2.0.
--
-- Admin-minted tokens gain a kind: `widget` tokens read boards and widget pages, `scim`
-- tokens open /scim/v2 and nothing else.
ALTER TABLE widget_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'widget';

-- An employee provisioned by a SCIM client: the client's `userName` (unique, compared
-- without case) and the resource as last written (the attributes we serve, in canonical
-- names), so what the client reads back is what it wrote. The id is the employee's id.
-- DELETE removes the row (the employee stays, deactivated, with their postcards).
CREATE TABLE scim_users (
    id TEXT PRIMARY KEY REFERENCES employees(id),
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL UNIQUE,
    resource TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
