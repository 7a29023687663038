-- How a behaviour looks on postcards: a colour (#rrggbb, readable at 4.5:1 against the card)
-- and an icon from the built-in set. Both optional; the default set gets its own, and
-- `position` (already there) orders the catalogue.
ALTER TABLE behaviours ADD COLUMN color TEXT;
ALTER TABLE behaviours ADD COLUMN icon TEXT;
UPDATE behaviours SET color = '#0b6e4f', icon = 'heart' WHERE slug = 'customer-obsessed';
UPDATE behaviours SET color = '#b42318', icon = 'rocket' WHERE slug = 'above-and-beyond';
UPDATE behaviours SET color = '#1d4ed8', icon = 'ear' WHERE slug = 'listens-to-customers';
UPDATE behaviours SET color = '#7c3aed', icon = 'shield-check' WHERE slug = 'owns-the-outcome';
UPDATE behaviours SET color = '#b45309', icon = 'sparkles' WHERE slug = 'small-win';
UPDATE behaviours SET color = '#0e7490', icon = 'users' WHERE slug = 'team-player';
