-- schedd PostgreSQL spool, schema 2: what owners and root asked of
-- crontab entries (`sched pause`, `sched skip`), kept across restarts and
-- shared by the fleet.
--
-- An entry is named by its source and a hash of its meaning (owner,
-- schedule, zone, command, input), not by its line number: a line moved
-- by an edit keeps its pause. A line of a host's own crontab files is
-- kept under that host (`host`); a user's crontab line under '' (the
-- fleet's). Skipping the next N occurrences is kept as the instant of the
-- Nth, so that every host skips the same ones. Each change bumps
-- crontabs_version: the other hosts read the controls again with the
-- crontabs.
CREATE TABLE schedd.entry_controls (
    host         text      NOT NULL,
    entry        text      NOT NULL,
    origin       text      NOT NULL,
    owner_uid    bigint    NOT NULL CHECK (owner_uid >= 0),
    paused_by    text,
    paused_at    bigint,
    skip_through bigint,
    skip_by      text,
    skip_at      bigint,
    PRIMARY KEY (host, entry),
    CHECK ((paused_by IS NULL) = (paused_at IS NULL)),
    CHECK ((skip_through IS NULL) = (skip_by IS NULL)),
    CHECK ((skip_through IS NULL) = (skip_at IS NULL))
);
