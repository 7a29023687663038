DROP TABLE scim_users;
ALTER TABLE widget_tokens DROP COLUMN kind;
