-- Adaptive polling (DESIGN.md "Beyond one machine"): what a feed's last body held and asked for, and
-- the interval the scheduler chose after the last poll with its reason in words, for `watchbot feeds`.
ALTER TABLE feeds ADD COLUMN last_items INTEGER;        -- items in the last body read (0: "is this the feed URL?")
ALTER TABLE feeds ADD COLUMN ttl_seconds REAL;          -- RSS <ttl>, in seconds
ALTER TABLE feeds ADD COLUMN update_seconds REAL;       -- sy:updatePeriod / sy:updateFrequency, in seconds
ALTER TABLE feeds ADD COLUMN interval_seconds REAL;
ALTER TABLE feeds ADD COLUMN interval_reason TEXT;

-- A feed's recent items (its posting rhythm) and its first sighting, without a scan of all sightings.
CREATE INDEX IF NOT EXISTS sightings_feed_time ON sightings (feed_url, seen_at);
