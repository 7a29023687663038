DROP INDEX audit_log_by_target;
DROP TABLE idempotency_keys;
DROP TABLE endorsements;
DROP TABLE postcard_recipients;
DROP TABLE postcards;
