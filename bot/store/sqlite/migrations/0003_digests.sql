-- Digests: per-recipient state, what was delivered, dead letters and a log of runs.
-- A recipient is an email address with its watchlists ("email:a@example.com|asml,export-controls",
-- "*" for all) or a Telegram chat ("chat:-100123"). Times are ISO 8601 strings in UTC.

CREATE TABLE digest_recipients (
    key             TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,              -- 'email' | 'telegram'
    target          TEXT NOT NULL,              -- the mail address or the chat id
    watchlists      TEXT NOT NULL DEFAULT '[]', -- JSON list; empty = all
    cursor          INTEGER NOT NULL DEFAULT 0, -- every match with matches.rowid <= cursor is settled
    since           TEXT,                       -- no match older than this is pending (first digest: 24 h back)
    last_sent_at    TEXT,
    last_attempt_at TEXT,
    last_error      TEXT,
    last_error_at   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0, -- temporary failures in a row
    next_attempt_at TEXT,                       -- set after a temporary failure: retry from then on
    created_at      TEXT NOT NULL
);

-- Matches above a recipient's cursor that already reached it (the sent pages of a Telegram digest
-- whose later pages failed), so the retry does not repeat them.
CREATE TABLE digest_delivered (
    key      TEXT NOT NULL REFERENCES digest_recipients (key),
    match_id INTEGER NOT NULL,
    PRIMARY KEY (key, match_id)
);

-- Digests a server rejected for good (an SMTP 5xx for one recipient): shown by `watchbot digest`.
CREATE TABLE digest_dead (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL REFERENCES digest_recipients (key),
    error     TEXT NOT NULL,
    stories   INTEGER NOT NULL,
    match_ids TEXT NOT NULL,                    -- JSON list of matches.rowid
    at        TEXT NOT NULL,
    notified  INTEGER NOT NULL DEFAULT 0
);

-- One row per attempt: outcome 'sent' | 'retry' | 'dead' | 'partial'.
CREATE TABLE digest_runs (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL,
    at         TEXT NOT NULL,
    stories    INTEGER NOT NULL,
    outcome    TEXT NOT NULL,
    error      TEXT,
    message_id TEXT
);
CREATE INDEX digest_runs_key ON digest_runs (key, at);
