-- A match of an item too old to alert (DESIGN.md: poll.backlog on a feed's first poll, or poll.max_age) is kept for
-- backtests, the web and stories, but reaches no digest either: adding a feed must not flood its digest readers
-- with its archive any more than its instant subscribers. As SQLite's 0012_match_backlog.sql.
ALTER TABLE matches ADD COLUMN backlog boolean NOT NULL DEFAULT false;
