-- schedd spool, schema 7: per-job policies (retry, timeout, overlap,
-- catch-up, jitter, starting deadline).
--
-- Runs gain the attempt they were (1 for the first), the instant the
-- daemon stopped them (a timeout, or a newer occurrence replacing them),
-- and four outcomes: 'timed out' (stopped by its timeout), and, for an
-- occurrence that did not run, 'skipped' (overlap or paused), 'missed'
-- (the daemon was down, or it could not start within its deadline) and
-- 'superseded' (a retry dropped because the next occurrence came first).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- as schema 2 rebuilt it, run ids counting on from where they were.
CREATE TABLE runs_v7 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id       INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('at', 'batch', 'cron')),
    owner_uid    INTEGER NOT NULL,
    command      TEXT    NOT NULL,
    due          INTEGER NOT NULL,
    started      INTEGER NOT NULL,
    finished     INTEGER,
    pid          INTEGER,
    outcome      TEXT    NOT NULL
                 CHECK (outcome IN ('running', 'exited', 'signalled', 'failed', 'lost',
                                    'timed out', 'skipped', 'missed', 'superseded')),
    exit_code    INTEGER,
    signal       INTEGER,
    reason       TEXT,
    output_head  BLOB    NOT NULL DEFAULT x'',
    output_tail  BLOB    NOT NULL DEFAULT x'',
    output_bytes INTEGER NOT NULL DEFAULT 0,
    origin       TEXT,
    owner_name   TEXT,
    attempt      INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    stopped      INTEGER
);

INSERT INTO runs_v7 (id, job_id, kind, owner_uid, command, due, started, finished, pid,
                     outcome, exit_code, signal, reason, output_head, output_tail,
                     output_bytes, origin, owner_name)
SELECT id, job_id, kind, owner_uid, command, due, started, finished, pid,
       outcome, exit_code, signal, reason, output_head, output_tail,
       output_bytes, origin, owner_name
FROM runs;

INSERT INTO sqlite_sequence (name, seq)
SELECT 'runs_v7', seq FROM sqlite_sequence
WHERE name = 'runs' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'runs_v7');
UPDATE sqlite_sequence
SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0))
WHERE name = 'runs_v7';

DROP TABLE runs;
ALTER TABLE runs_v7 RENAME TO runs;

CREATE INDEX runs_by_job ON runs (job_id, id);
CREATE INDEX runs_by_owner ON runs (owner_uid, id);
CREATE INDEX runs_running ON runs (outcome) WHERE outcome = 'running';
CREATE INDEX runs_by_origin ON runs (origin, id) WHERE origin IS NOT NULL;

-- A one-shot job's policy as written (`sched at --timeout 10m --retry 3`),
-- in the canonical text of sched_cron::policy ('' for none), the attempt
-- it is pending for, and, for a retry, the instant it was first due
-- (`due` is then when the retry starts).
ALTER TABLE jobs ADD COLUMN policy TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE jobs ADD COLUMN scheduled INTEGER;

-- Retries of crontab lines waiting for their instant, so that they
-- survive a restart. A line is named by its origin and command; a retry
-- whose line is gone or changed at the next start is dropped.
CREATE TABLE cron_retries (
    origin       TEXT    NOT NULL,
    command      TEXT    NOT NULL,
    owner_uid    INTEGER NOT NULL CHECK (owner_uid >= 0),
    scheduled    INTEGER NOT NULL,
    attempt      INTEGER NOT NULL CHECK (attempt >= 2),
    at           INTEGER NOT NULL,
    PRIMARY KEY (origin, scheduled)
);

-- A copy of each claimed one-shot job that has a policy, kept while its
-- run is in progress: when the daemon dies during the run and the policy
-- says to retry lost runs, the next daemon queues the job again from it.
-- The copy goes when the run's end is recorded.
CREATE TABLE held_jobs (
    run_id       INTEGER PRIMARY KEY,
    id           INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    owner_uid    INTEGER NOT NULL,
    owner_gid    INTEGER NOT NULL,
    due          INTEGER NOT NULL,
    submitted    INTEGER NOT NULL,
    command      TEXT    NOT NULL,
    cwd          TEXT    NOT NULL,
    umask        INTEGER NOT NULL,
    env          BLOB    NOT NULL,
    queue        TEXT    NOT NULL,
    owner_name   TEXT,
    mail         TEXT    NOT NULL,
    policy       TEXT    NOT NULL,
    attempt      INTEGER NOT NULL,
    scheduled    INTEGER
);
