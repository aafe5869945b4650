-- Telegram: chats with their settings, their subscriptions, and notices already sent to the admins.
-- Times are ISO 8601 strings in UTC; quiet_start / quiet_end / digest_at are local "HH:MM" in the chat's tz.

CREATE TABLE chats (
    chat_id       INTEGER PRIMARY KEY,
    type          TEXT NOT NULL DEFAULT 'private',  -- private | group | supergroup | channel
    title         TEXT NOT NULL DEFAULT '',
    tz            TEXT NOT NULL DEFAULT 'UTC',
    mode          TEXT NOT NULL DEFAULT 'instant',  -- default mode of new subscriptions
    digest_at     TEXT,                             -- NULL = telegram.digest_at
    quiet_start   TEXT,
    quiet_end     TEXT,
    paused        INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,       -- 0: the bot was blocked or removed
    inactive_reason TEXT,
    digest_since  TEXT,                             -- when the chat switched to digest mode
    migrated_to   INTEGER,                          -- a group that became a supergroup
    created_at    TEXT NOT NULL,
    updated_at    TEXT
);

CREATE TABLE subscriptions (
    chat_id   INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    watchlist TEXT NOT NULL,
    mode      TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'digest')),
    since     TEXT NOT NULL,                        -- subscribed, or switched mode, at
    PRIMARY KEY (chat_id, watchlist)
);
CREATE INDEX subscriptions_watchlist ON subscriptions (watchlist, mode);

-- One row per problem the admins were told about, so each is told once.
CREATE TABLE admin_notices (
    key     TEXT PRIMARY KEY,
    sent_at TEXT NOT NULL,
    text    TEXT NOT NULL DEFAULT ''
);
