ALTER TABLE behaviours DROP COLUMN icon;
ALTER TABLE behaviours DROP COLUMN color;
