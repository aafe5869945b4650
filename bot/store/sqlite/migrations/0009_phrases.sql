-- People shape their own alerts (DESIGN.md): a chat's own phrases, its mutes, its language, and
-- alerts held for its next digest when it is over telegram.max_alerts_per_hour.

ALTER TABLE chats ADD COLUMN language TEXT;        -- NULL: from the user's Telegram language_code

-- A chat's own watchlist (matched as watchlist 'chat:<chat_id>', alerting that chat alone).
CREATE TABLE chat_phrases (
    chat_id  INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    phrase   TEXT NOT NULL,                         -- as the user wrote it
    key      TEXT NOT NULL,                         -- folded (one phrase per folded form)
    added_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, key)
);

-- Never alert this chat on a phrase ('phrase') or from a feed ('source').
CREATE TABLE chat_mutes (
    chat_id  INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('phrase', 'source')),
    value    TEXT NOT NULL,
    key      TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, kind, key)
);

-- Alerts over the hourly cap: they wait for the chat's next digest instead of the outbox.
CREATE TABLE held_alerts (
    chat_id   INTEGER NOT NULL,
    identity  TEXT NOT NULL REFERENCES items (identity),
    watchlist TEXT NOT NULL,
    held_at   TEXT NOT NULL,
    PRIMARY KEY (chat_id, identity, watchlist)
);
CREATE INDEX held_alerts_time ON held_alerts (held_at);

-- A chat over its cap right now, and whether it was told so (once per spell over the cap).
CREATE TABLE chat_caps (
    chat_id  INTEGER PRIMARY KEY,
    since    TEXT NOT NULL,
    told_at  TEXT
);

CREATE INDEX outbox_target_time ON outbox (channel, target, created_at);
