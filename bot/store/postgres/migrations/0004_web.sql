-- As SQLite's 0007_web.sql.

-- The web (#15): feeds added outside the config ('store') beside the config's ('config'); a paused feed is not polled.
ALTER TABLE feeds ADD COLUMN origin text NOT NULL DEFAULT 'config';
ALTER TABLE feeds ADD COLUMN paused boolean NOT NULL DEFAULT false;
ALTER TABLE feeds ADD COLUMN added_at timestamptz;

-- One-time login links and the sessions they open: only SHA-256 digests of the tokens are kept.
CREATE TABLE web_logins (
    token_hash text PRIMARY KEY,
    user_id    bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE TABLE web_sessions (
    session_hash text PRIMARY KEY,
    user_id      bigint NOT NULL,
    csrf         text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

-- Watchlist files saved on the web, so every process on one store writes the same text to its rules folder.
CREATE TABLE rule_texts (
    name       text PRIMARY KEY,
    text       text NOT NULL,
    updated_at timestamptz NOT NULL
);
