-- A feed's items by their guid: an item whose link changed (a session or tracking parameter the canonical URL does
-- not know, rotated at every fetch) is found by the guid and title it was stored with, and not taken for a new one
-- (Pipeline._as_stored_before). As SQLite's 0014_item_guid.sql.
CREATE INDEX items_feed_guid ON items (feed_url, guid) WHERE guid IS NOT NULL;
