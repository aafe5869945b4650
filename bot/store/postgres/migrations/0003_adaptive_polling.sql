-- As SQLite's 0006_adaptive_polling.sql.

-- Adaptive polling: what a feed's last body held and asked for, and the interval chosen after the last poll.
ALTER TABLE feeds ADD COLUMN last_items integer;              -- items in the last body read
ALTER TABLE feeds ADD COLUMN ttl_seconds double precision;    -- RSS <ttl>, in seconds
ALTER TABLE feeds ADD COLUMN update_seconds double precision; -- sy:updatePeriod / sy:updateFrequency
ALTER TABLE feeds ADD COLUMN interval_seconds double precision;
ALTER TABLE feeds ADD COLUMN interval_reason text;
CREATE INDEX sightings_feed_time ON sightings (feed_url, seen_at);
