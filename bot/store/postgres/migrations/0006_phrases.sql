-- People shape their own alerts (as SQLite's 0009_phrases.sql): a chat's own phrases, its mutes, its
-- language, and alerts held for its next digest when it is over telegram.max_alerts_per_hour.
ALTER TABLE chats ADD COLUMN language text;

CREATE TABLE chat_phrases (
    chat_id  bigint NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    phrase   text NOT NULL,
    key      text NOT NULL,
    added_at timestamptz NOT NULL,
    seq      bigserial,
    PRIMARY KEY (chat_id, key)
);

CREATE TABLE chat_mutes (
    chat_id  bigint NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    kind     text NOT NULL CHECK (kind IN ('phrase', 'source')),
    value    text NOT NULL,
    key      text NOT NULL,
    added_at timestamptz NOT NULL,
    seq      bigserial,
    PRIMARY KEY (chat_id, kind, key)
);

CREATE TABLE held_alerts (
    chat_id   bigint NOT NULL,
    identity  text NOT NULL REFERENCES items (identity),
    watchlist text NOT NULL,
    held_at   timestamptz NOT NULL,
    PRIMARY KEY (chat_id, identity, watchlist)
);
CREATE INDEX held_alerts_time ON held_alerts (held_at);

CREATE TABLE chat_caps (
    chat_id bigint PRIMARY KEY,
    since   timestamptz NOT NULL,
    told_at timestamptz
);

CREATE INDEX outbox_target_time ON outbox (channel, target, created_at);
