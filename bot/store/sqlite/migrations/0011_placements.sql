-- Story placements in order (DESIGN.md, Stories): each ingest that places items in stories numbers them, one
-- number per ingest, taken while it holds the story lock (ItemStore.lock_stories). A process catches up with
-- what the others placed by reading the numbers above the last it saw (ItemStore.placed_after), as
-- PostgreSQL's 0008_placements.sql; SQLite has one process, but the contract is the same.
ALTER TABLE items ADD COLUMN placed INTEGER;
CREATE INDEX items_placed ON items (placed) WHERE placed IS NOT NULL;
