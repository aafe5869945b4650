-- The plan (bot/app/spread.py) asks every 5 s for the due feeds, earliest first: with 100,000 feeds a
-- sequential scan and sort of the whole table each time (as SQLite's 0010_due_index.sql).
CREATE INDEX feeds_due ON feeds (next_poll_at NULLS FIRST, url);
