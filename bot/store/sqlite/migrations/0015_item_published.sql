-- A feed's items by their publication time: an item whose link and guid both changed (a site moved to https or to a
-- new domain, or changed its URL scheme) is found by the time and title it was stored with, and not taken for a new
-- one (Pipeline._as_stored_before). As PostgreSQL's 0012_item_published.sql.
CREATE INDEX items_feed_published ON items (feed_url, published_at) WHERE published_at IS NOT NULL;
