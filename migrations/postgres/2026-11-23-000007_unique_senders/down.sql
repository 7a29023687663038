DROP INDEX postcard_recipients_by_pair;
ALTER TABLE board_totals DROP COLUMN unique_senders;
