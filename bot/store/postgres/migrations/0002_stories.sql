-- Round 2 on PostgreSQL (as SQLite's 0005_stories.sql): one alert per story, edits of sent alerts.

-- Stories (DESIGN.md, Stories): each item belongs to a story, the key of the story's first item.
ALTER TABLE items ADD COLUMN story text;
UPDATE items SET story = identity WHERE story IS NULL;
CREATE INDEX items_story ON items (story);

-- One alert per (story, channel, target); a sent Telegram alert keeps its message id, which later
-- reports of the story edit ("also in: ...").
ALTER TABLE outbox ADD COLUMN story text;
UPDATE outbox SET story = identity WHERE story IS NULL;
CREATE UNIQUE INDEX outbox_story ON outbox (story, channel, target);
ALTER TABLE outbox ADD COLUMN message_id bigint;
CREATE INDEX outbox_created ON outbox (created_at);

-- Edits of sent alerts: pending -> sending -> done | pending (retry) | dead; one row per alert.
CREATE TABLE edits (
    outbox_id       bigint PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL
);
CREATE INDEX edits_due ON edits (state, next_attempt_at);
