-- Round 2: one alert per story (DESIGN.md, Stories).
-- Each item belongs to a story (the key of the story's first item; round-1 items are stories of their own).
ALTER TABLE items ADD COLUMN story TEXT;
UPDATE items SET story = identity WHERE story IS NULL;
CREATE INDEX items_story ON items (story);

-- The outbox holds one alert per (story, channel, target); a sent Telegram alert keeps its message id so that
-- later reports of the story can edit it ("also in: ...").
ALTER TABLE outbox ADD COLUMN story TEXT;
UPDATE outbox SET story = identity WHERE story IS NULL;
CREATE UNIQUE INDEX outbox_story ON outbox (story, channel, target);
ALTER TABLE outbox ADD COLUMN message_id INTEGER;

-- Edits of sent alerts, through the outbox's own discipline: pending -> sending -> done | pending (retry) | dead.
-- One row per alert: a second later report while an edit is pending is the same edit (it renders the outlets
-- as they are when it goes out).
CREATE TABLE edits (
    outbox_id       INTEGER PRIMARY KEY REFERENCES outbox (id),
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX edits_due ON edits (state, next_attempt_at);
