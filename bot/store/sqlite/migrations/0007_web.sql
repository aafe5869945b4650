-- Round 2: the web interface (#15).
-- 1. Feeds added on the web (or by `watchbot feeds add`) live in the store beside the config's feeds:
--    origin says which ('config' | 'store'); a paused feed is not polled.
ALTER TABLE feeds ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
ALTER TABLE feeds ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN added_at TEXT;

-- 2. One-time login links and the sessions they open. Only SHA-256 digests of the tokens are kept,
--    so a copy of the database opens no session.
CREATE TABLE web_logins (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE TABLE web_sessions (
    session_hash TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX outbox_created ON outbox (created_at);

-- 3. Watchlist files saved on the web, so every process on one store writes the same text to its rules folder.
CREATE TABLE rule_texts (
    name       TEXT PRIMARY KEY,          -- the file name in the rules folder ("asml.yaml")
    text       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
