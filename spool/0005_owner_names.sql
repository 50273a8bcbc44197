-- schedd spool, schema 5: jobs, crontabs and runs remember their owner's
-- name beside the uid, so that a uid given to a new account after the owner's
-- was deleted does not inherit the owner's jobs (a job runs only while
-- both still name the same account). NULL: stored before schema 5, when
-- only the uid was kept; the daemon fills these in at start from the
-- account that holds the uid then.
ALTER TABLE jobs ADD COLUMN owner_name TEXT;
ALTER TABLE crontabs ADD COLUMN owner_name TEXT;
ALTER TABLE runs ADD COLUMN owner_name TEXT;
