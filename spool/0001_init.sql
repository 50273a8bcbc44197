-- schedd spool, schema 1: one-shot jobs and run history.
--
-- Instants are microseconds since the Unix epoch (UTC). Job ids are never
-- reused (AUTOINCREMENT), so an id printed by `sched at` names one job for
-- ever, even after it ran.

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL CHECK (kind IN ('at', 'batch')),
    owner_uid    INTEGER NOT NULL CHECK (owner_uid >= 0),
    owner_gid    INTEGER NOT NULL CHECK (owner_gid >= 0),
    due          INTEGER NOT NULL,
    submitted    INTEGER NOT NULL,
    command      TEXT    NOT NULL,
    cwd          TEXT    NOT NULL,
    umask        INTEGER NOT NULL CHECK (umask BETWEEN 0 AND 511),
    -- NAME=VALUE pairs, each followed by a NUL byte.
    env          BLOB    NOT NULL
);

CREATE INDEX jobs_by_due ON jobs (due, id);
CREATE INDEX jobs_by_owner ON jobs (owner_uid, due, id);

CREATE TABLE runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id       INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('at', 'batch')),
    owner_uid    INTEGER NOT NULL,
    command      TEXT    NOT NULL,
    due          INTEGER NOT NULL,
    started      INTEGER NOT NULL,
    finished     INTEGER,
    pid          INTEGER,
    outcome      TEXT    NOT NULL
                 CHECK (outcome IN ('running', 'exited', 'signalled', 'failed', 'lost')),
    exit_code    INTEGER,
    signal       INTEGER,
    reason       TEXT,
    output_head  BLOB    NOT NULL DEFAULT x'',
    output_tail  BLOB    NOT NULL DEFAULT x'',
    output_bytes INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX runs_by_job ON runs (job_id, id);
CREATE INDEX runs_by_owner ON runs (owner_uid, id);
CREATE INDEX runs_running ON runs (outcome) WHERE outcome = 'running';
