DROP TABLE magic_links;
DROP TABLE digests;
DROP TABLE outbox;
