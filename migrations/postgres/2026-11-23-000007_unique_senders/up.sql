-- Unique senders kept per bucket like the other totals, so no board counts them from the
-- postcards: a send adds one to a recipient's bucket when that sender had no other visible
-- postcard to them in it, a hide takes one away when none is left. "Other postcards of this
-- pair" are read from the pair index below, bounded by what one person sent another.
-- Existing figures are filled in right after this migration by a rebuild (the buckets depend
-- on org.timezone, which SQL does not know).
ALTER TABLE board_totals ADD COLUMN unique_senders INTEGER NOT NULL DEFAULT 0;
CREATE INDEX postcard_recipients_by_pair
    ON postcard_recipients (recipient_id, sender_id, created_at, behaviour, hidden, postcard_id);
