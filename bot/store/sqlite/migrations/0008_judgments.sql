-- Round 2: 👍/👎 on alerts (DESIGN.md, Evidence: weak words and feedback).
-- One judgment per (chat, story, user): a later tap replaces the earlier one. The watchlists and hits are those
-- the alert showed, kept as they were: the rules may change later, the judgment is about what was sent.
CREATE TABLE judgments (
    chat_id    INTEGER NOT NULL,
    story      TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    verdict    TEXT NOT NULL CHECK (verdict IN ('up', 'down')),
    identity   TEXT NOT NULL,
    watchlists TEXT NOT NULL,  -- JSON list
    hits       TEXT NOT NULL,  -- JSON: watchlist -> hits
    judged_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, story, user_id)
);
CREATE INDEX judgments_at ON judgments (judged_at);
