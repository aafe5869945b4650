-- The schema of SQLite's migrations 0001-0004 in one step (a PostgreSQL store starts at round 2).
-- Times are timestamptz in whole seconds; JSON is jsonb. Matches carry an id that digest delivery
-- records point at (SQLite uses its rowid for the same).

CREATE TABLE feeds (
    url                  text PRIMARY KEY,
    name                 text NOT NULL DEFAULT '',
    title                text NOT NULL DEFAULT '',
    etag                 text,
    last_modified        text,
    last_status          integer,
    last_polled_at       timestamptz,
    last_success_at      timestamptz,
    last_error           text,
    last_error_at        timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    next_poll_at         timestamptz,
    items_total          integer NOT NULL DEFAULT 0,
    failure_notified     boolean NOT NULL DEFAULT false
);

CREATE TABLE items (
    identity      text PRIMARY KEY,
    url           text,
    link          text,
    guid          text,
    title         text NOT NULL,
    lede          text NOT NULL,
    language      text NOT NULL,
    published_at  timestamptz,
    first_seen_at timestamptz NOT NULL,
    feed_url      text NOT NULL
);
CREATE INDEX items_first_seen ON items (first_seen_at);

-- Every (item, feed) pair seen, so digests can say "also in: ...".
CREATE TABLE sightings (
    identity  text NOT NULL REFERENCES items (identity) ON DELETE CASCADE,
    feed_url  text NOT NULL,
    feed_name text NOT NULL DEFAULT '',
    link      text,
    seen_at   timestamptz NOT NULL,
    PRIMARY KEY (identity, feed_url)
);

CREATE TABLE matches (
    id         bigserial PRIMARY KEY,
    identity   text NOT NULL REFERENCES items (identity) ON DELETE CASCADE,
    watchlist  text NOT NULL,
    score      double precision NOT NULL,
    hits       jsonb NOT NULL,              -- the hits that explain the match
    matched_at timestamptz NOT NULL,
    UNIQUE (identity, watchlist)
);
CREATE INDEX matches_time ON matches (matched_at);
CREATE INDEX matches_watchlist_time ON matches (watchlist, matched_at);

-- One alert per (item, channel, target), written before anything is sent.
-- state: pending -> sending -> sent | pending (retry) | dead
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    identity        text NOT NULL REFERENCES items (identity),
    channel         text NOT NULL,
    target          text NOT NULL,
    watchlists      jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    notified        boolean NOT NULL DEFAULT false,   -- dead letters: the admins were told (or need not be)
    UNIQUE (identity, channel, target)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE chats (
    chat_id         bigint PRIMARY KEY,
    type            text NOT NULL DEFAULT 'private',
    title           text NOT NULL DEFAULT '',
    tz              text NOT NULL DEFAULT 'UTC',
    mode            text NOT NULL DEFAULT 'instant',
    digest_at       text,
    quiet_start     text,
    quiet_end       text,
    paused          boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    inactive_reason text,
    digest_since    timestamptz,
    migrated_to     bigint,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz
);

CREATE TABLE subscriptions (
    chat_id   bigint NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    watchlist text NOT NULL,
    mode      text NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'digest')),
    since     timestamptz NOT NULL,
    PRIMARY KEY (chat_id, watchlist)
);
CREATE INDEX subscriptions_watchlist ON subscriptions (watchlist, mode);

CREATE TABLE admin_notices (
    key     text PRIMARY KEY,
    sent_at timestamptz NOT NULL,
    text    text NOT NULL DEFAULT ''
);

CREATE TABLE digest_recipients (
    key             text PRIMARY KEY,
    channel         text NOT NULL,
    target          text NOT NULL,
    watchlists      jsonb NOT NULL DEFAULT '[]',
    since           timestamptz,
    last_sent_at    timestamptz,
    last_attempt_at timestamptz,
    last_error      text,
    last_error_at   timestamptz,
    failures        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL
);

-- Every match a recipient received (per match, never a cursor: writers commit out of order).
CREATE TABLE digest_delivered (
    key      text NOT NULL REFERENCES digest_recipients (key) ON UPDATE CASCADE,
    match_id bigint NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    PRIMARY KEY (key, match_id)
);

CREATE TABLE digest_dead (
    id        bigserial PRIMARY KEY,
    key       text NOT NULL,
    error     text NOT NULL,
    stories   integer NOT NULL,
    match_ids jsonb NOT NULL,
    at        timestamptz NOT NULL,
    notified  boolean NOT NULL DEFAULT false
);

CREATE TABLE digest_runs (
    id         bigserial PRIMARY KEY,
    key        text NOT NULL,
    at         timestamptz NOT NULL,
    stories    integer NOT NULL,
    outcome    text NOT NULL,
    error      text,
    message_id text
);
CREATE INDEX digest_runs_key ON digest_runs (key, at);
