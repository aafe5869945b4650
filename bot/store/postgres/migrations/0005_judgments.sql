-- As SQLite's 0008_judgments.sql.

-- 👍/👎 on alerts: one per (chat, story, user), a later tap replaces it. The watchlists and hits are those the
-- alert showed (the rules may change later); no reference to items: a judgment outlives a pruned item.
CREATE TABLE judgments (
    chat_id    bigint NOT NULL,
    story      text NOT NULL,
    user_id    bigint NOT NULL,
    verdict    text NOT NULL CHECK (verdict IN ('up', 'down')),
    identity   text NOT NULL,
    watchlists jsonb NOT NULL,
    hits       jsonb NOT NULL,
    judged_at  timestamptz NOT NULL,
    PRIMARY KEY (chat_id, story, user_id)
);
CREATE INDEX judgments_at ON judgments (judged_at);
