-- Round 2: the store contract.
-- 1. Dead letters say whether the admins were told (before: a LIKE on the error text and one
--    admin_notices row per outbox id). A paused chat's skipped alert is its own choice: notified = 1.
ALTER TABLE outbox ADD COLUMN notified INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET notified = 1
 WHERE state = 'dead' AND (COALESCE(last_error, '') LIKE 'skipped:%'
       OR EXISTS (SELECT 1 FROM admin_notices n WHERE n.key = 'dead:' || outbox.id));
DELETE FROM admin_notices WHERE key LIKE 'dead:%';

-- 2. Digests no longer keep a rowid cursor (correct only while one writer commits at a time): every
--    match a recipient received is recorded, and the floor `since` bounds what can still be pending.
--    Matches at or below the old cursor that are above the floor are recorded as delivered.
INSERT OR IGNORE INTO digest_delivered (key, match_id)
SELECT r.key, m.rowid FROM digest_recipients r JOIN matches m ON m.rowid <= r.cursor
 WHERE m.matched_at >= COALESCE(r.since, '');
CREATE INDEX IF NOT EXISTS matches_watchlist_time ON matches (watchlist, matched_at);
