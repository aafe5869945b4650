-- What was wrong with a feed's last body that was read all the same (XML not well-formed, bytes not valid in its
-- encoding): `watchbot feeds` and the web's feed page show it beside "ok". As PostgreSQL's 0010_feed_warning.sql.
ALTER TABLE feeds ADD COLUMN last_warning TEXT;
