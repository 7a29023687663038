DROP TABLE seen_signatures;
DROP TABLE slack_users;
DROP TABLE slack_messages;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE integration_events;
DROP TABLE webhooks;
DROP INDEX employees_external_id;
ALTER TABLE employees DROP COLUMN external_id;
