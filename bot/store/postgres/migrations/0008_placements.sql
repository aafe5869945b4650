-- Story placements in order (DESIGN.md, Stories): each ingest that places items in stories numbers them, one
-- number per ingest, taken while it holds the story lock (ItemStore.lock_stories, an advisory lock held to
-- the end of its transaction). So the numbers grow in commit order, and a process catches up with what the
-- others placed by reading the numbers above the last it saw (ItemStore.placed_after): two processes can no
-- longer place reports of one story at once and found two stories. As SQLite's 0011_placements.sql.
ALTER TABLE items ADD COLUMN placed bigint;
CREATE INDEX items_placed ON items (placed) WHERE placed IS NOT NULL;
