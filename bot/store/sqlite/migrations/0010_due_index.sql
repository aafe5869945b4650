-- The due feeds, earliest first (FeedStore.claim_due), without reading the whole table: with 100,000
-- feeds a scan and sort each time (as PostgreSQL's 0007_due_index.sql). NULL sorts first in SQLite.
CREATE INDEX feeds_due ON feeds (next_poll_at, url);
