-- Every send moves the department rows of its buckets, and nearly every send (or batch of
-- sends) moves the same few hundred of them: the "all time", year, month... rows of the
-- departments its people are in. A row stays locked until its transaction commits, so
-- concurrent writers queued behind each other on those rows and sends could not go faster
-- than one commit after another. Each department figure is now split over a few shards (rows
-- that add up to it); a write takes one shard, so concurrent writers usually touch different
-- rows. Readers add up at most a handful of rows per department.
ALTER TABLE board_departments ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE board_departments DROP CONSTRAINT board_departments_pkey;
ALTER TABLE board_departments ADD PRIMARY KEY (period, behaviour, department, shard);
