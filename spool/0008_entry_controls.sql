-- schedd spool, schema 8: what owners and root asked of crontab entries
-- (`sched pause`, `sched skip`), kept across restarts.
--
-- An entry is named by its source and a hash of its meaning (owner,
-- schedule, zone, command, input), not by its line number: a line moved
-- by an edit keeps its pause. `origin` is the line as last named, for
-- messages. Skipping the next N occurrences is kept as the instant of
-- the Nth: occurrences due up to it (included) are skipped.
CREATE TABLE entry_controls (
    entry        TEXT    PRIMARY KEY,
    origin       TEXT    NOT NULL,
    owner_uid    INTEGER NOT NULL CHECK (owner_uid >= 0),
    paused_by    TEXT,
    paused_at    INTEGER,
    skip_through INTEGER,
    skip_by      TEXT,
    skip_at      INTEGER,
    CHECK ((paused_by IS NULL) = (paused_at IS NULL)),
    CHECK ((skip_through IS NULL) = (skip_by IS NULL)),
    CHECK ((skip_through IS NULL) = (skip_at IS NULL))
);
