-- A group's alerts, digests and notices without /lang come in the language of the administrator who set it up, while
-- its replies follow each writer (until /lang): that language is kept apart from /lang's. As PostgreSQL's
-- 0013_heard_language.sql.
ALTER TABLE chats ADD COLUMN heard_language TEXT;
