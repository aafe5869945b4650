-- The first release's schema. Times are ISO 8601 strings in UTC ("2024-03-27T15:45:02+00:00").

CREATE TABLE feeds (
    url                  TEXT PRIMARY KEY,
    name                 TEXT NOT NULL DEFAULT '',
    title                TEXT NOT NULL DEFAULT '',
    etag                 TEXT,
    last_modified        TEXT,
    last_status          INTEGER,
    last_polled_at       TEXT,
    last_success_at      TEXT,
    last_error           TEXT,
    last_error_at        TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT,
    items_total          INTEGER NOT NULL DEFAULT 0,
    failure_notified     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE items (
    identity      TEXT PRIMARY KEY,
    url           TEXT,
    link          TEXT,
    guid          TEXT,
    title         TEXT NOT NULL,
    lede          TEXT NOT NULL,
    language      TEXT NOT NULL,
    published_at  TEXT,
    first_seen_at TEXT NOT NULL,
    feed_url      TEXT NOT NULL
);
CREATE INDEX items_first_seen ON items (first_seen_at);

-- Every (item, feed) pair seen, so digests can say "also in: ...".
CREATE TABLE sightings (
    identity  TEXT NOT NULL REFERENCES items (identity),
    feed_url  TEXT NOT NULL,
    feed_name TEXT NOT NULL DEFAULT '',
    link      TEXT,
    seen_at   TEXT NOT NULL,
    PRIMARY KEY (identity, feed_url)
);

CREATE TABLE matches (
    identity   TEXT NOT NULL REFERENCES items (identity),
    watchlist  TEXT NOT NULL,
    score      REAL NOT NULL,
    hits       TEXT NOT NULL,           -- JSON: the hits that explain the match
    matched_at TEXT NOT NULL,
    PRIMARY KEY (identity, watchlist)
);
CREATE INDEX matches_time ON matches (matched_at);

-- One alert per (item, channel, target), written before anything is sent.
-- state: pending -> sending -> sent | pending (retry) | dead
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    identity        TEXT NOT NULL REFERENCES items (identity),
    channel         TEXT NOT NULL,
    target          TEXT NOT NULL,
    watchlists      TEXT NOT NULL,      -- JSON list
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (identity, channel, target)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
