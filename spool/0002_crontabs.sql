-- schedd spool, schema 2: per-user crontabs, runs of cron jobs, and the
-- daemon's own state.

-- A user's crontab as installed by `sched crontab`: the text exactly as
-- given (it was checked before it was stored).
CREATE TABLE crontabs (
    owner_uid    INTEGER PRIMARY KEY CHECK (owner_uid >= 0),
    text         TEXT    NOT NULL,
    installed    INTEGER NOT NULL
);

-- Small facts the daemon keeps across restarts, e.g. the boot whose
-- @reboot jobs already ran.
CREATE TABLE state (
    key          TEXT    PRIMARY KEY,
    value        TEXT    NOT NULL
) WITHOUT ROWID;

-- Runs of cron jobs: kind 'cron', job_id 0, and `origin` naming the
-- crontab line ("/etc/cron.d/php:14", "crontab of alice:3"). SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt; run ids
-- keep counting from where they were.
CREATE TABLE runs_v2 (
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
                 CHECK (outcome IN ('running', 'exited', 'signalled', 'failed', 'lost')),
    exit_code    INTEGER,
    signal       INTEGER,
    reason       TEXT,
    output_head  BLOB    NOT NULL DEFAULT x'',
    output_tail  BLOB    NOT NULL DEFAULT x'',
    output_bytes INTEGER NOT NULL DEFAULT 0,
    origin       TEXT
);

INSERT INTO runs_v2 (id, job_id, kind, owner_uid, command, due, started, finished, pid,
                     outcome, exit_code, signal, reason, output_head, output_tail, output_bytes)
SELECT id, job_id, kind, owner_uid, command, due, started, finished, pid,
       outcome, exit_code, signal, reason, output_head, output_tail, output_bytes
FROM runs;

INSERT INTO sqlite_sequence (name, seq)
SELECT 'runs_v2', seq FROM sqlite_sequence
WHERE name = 'runs' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'runs_v2');
UPDATE sqlite_sequence
SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0))
WHERE name = 'runs_v2';

DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;

CREATE INDEX runs_by_job ON runs (job_id, id);
CREATE INDEX runs_by_owner ON runs (owner_uid, id);
CREATE INDEX runs_running ON runs (outcome) WHERE outcome = 'running';
