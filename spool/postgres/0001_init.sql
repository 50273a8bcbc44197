-- schedd's PostgreSQL spool, schema 1: the spool a fleet of hosts shares.
--
-- The tables mirror the SQLite spool's schema 7 (spool/0007_policies.sql):
-- jobs, runs, crontabs, state, cron_retries and held_jobs, with the same
-- values. Instants are BIGINT microseconds since the Unix epoch (UTC),
-- uids BIGINT, an environment BYTEA (NAME=VALUE pairs, each followed by a
-- NUL byte), a run's output head and tail BYTEA. Only the nodes' leases
-- are timestamptz: they are kept on the database's clock, never a host's.
--
-- Everything lives in the schema `schedd`, and the daemon's role needs
-- nothing outside it. schedd creates the schema when it is missing (the
-- role then needs CREATE on the database); an administrator may instead
-- create it beforehand for the role:
--
--     CREATE SCHEMA schedd AUTHORIZATION schedd_role;
--
-- The daemon records application = 'schedd' and the schema's version in
-- `meta`, refuses a `schedd` schema holding tables without that mark, and
-- never drops or recreates anything. Several daemons starting together
-- migrate once: the migration runs under a transaction-level advisory lock.

-- What this schema is: application = 'schedd', schema_version (both
-- written by the daemon as it migrates), and crontabs_version, the counter
-- every installation or removal of a user's crontab bumps (its row lock
-- orders the versions).
CREATE TABLE schedd.meta (
    key          text    PRIMARY KEY,
    value        text    NOT NULL
);

INSERT INTO schedd.meta (key, value) VALUES ('crontabs_version', '0');

-- Each daemon that opens the spool is a node, holding a lease until
-- lease_until on the database's clock. A node whose lease ran out is
-- declared gone by another (its work taken over), and a daemon that
-- starts again on a host makes that host's earlier nodes gone. A node's
-- id is its fencing token: every write checks that its node is not gone
-- and its lease has not run out.
CREATE TABLE schedd.nodes (
    id           bigserial   PRIMARY KEY,
    host         text        NOT NULL,
    pid          integer,
    joined       timestamptz NOT NULL DEFAULT now(),
    lease_until  timestamptz NOT NULL,
    gone         boolean     NOT NULL DEFAULT false
);

CREATE INDEX nodes_live ON schedd.nodes (lease_until) WHERE NOT gone;
CREATE INDEX nodes_by_host ON schedd.nodes (host, id);

-- Pending one-shot jobs (at, batch). Ids come from the sequence and are
-- never reused: a job given back (unclaimed) or retried keeps its id.
CREATE TABLE schedd.jobs (
    id           bigserial PRIMARY KEY,
    kind         text      NOT NULL CHECK (kind IN ('at', 'batch')),
    queue        text      NOT NULL CHECK (queue ~ '^[a-zA-Z]$'),
    owner_uid    bigint    NOT NULL CHECK (owner_uid >= 0),
    owner_gid    bigint    NOT NULL CHECK (owner_gid >= 0),
    owner_name   text,
    due          bigint    NOT NULL,
    submitted    bigint    NOT NULL,
    command      text      NOT NULL,
    cwd          text      NOT NULL,
    umask        integer   NOT NULL CHECK (umask BETWEEN 0 AND 511),
    env          bytea     NOT NULL,
    mail         text      NOT NULL CHECK (mail IN ('output', 'always', 'never')),
    policy       text      NOT NULL DEFAULT '',
    attempt      bigint    NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    scheduled    bigint
);

CREATE INDEX jobs_by_due ON schedd.jobs (due, id);
CREATE INDEX jobs_by_owner ON schedd.jobs (owner_uid, due, id);

-- Runs: of one-shot jobs (job_id) and of crontab lines (kind 'cron',
-- job_id NULL, origin naming the line), including occurrences that did not
-- run (skipped, missed, superseded). `host` and `node` say who ran or
-- recorded it. A crontab line's occurrence (claim_key, due, attempt) is
-- claimed by inserting its row: claim_key is the origin for a line of the
-- fleet (a user's crontab), 'HOST ORIGIN' for a line of one host's own
-- crontab files, so that a fleet's line runs once and a host's line once
-- per host.
CREATE TABLE schedd.runs (
    id           bigserial PRIMARY KEY,
    job_id       bigint,
    kind         text      NOT NULL CHECK (kind IN ('at', 'batch', 'cron')),
    origin       text,
    owner_uid    bigint    NOT NULL,
    owner_name   text,
    command      text      NOT NULL,
    due          bigint    NOT NULL,
    attempt      bigint    NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    started      bigint    NOT NULL,
    finished     bigint,
    pid          bigint,
    outcome      text      NOT NULL
                 CHECK (outcome IN ('running', 'exited', 'signalled', 'failed', 'lost',
                                    'timed out', 'skipped', 'missed', 'superseded')),
    exit_code    integer,
    signal       integer,
    -- A failed, skipped, missed or superseded run's reason; another's note.
    reason       text,
    stopped      bigint,
    output_head  bytea     NOT NULL DEFAULT '\x',
    output_tail  bytea     NOT NULL DEFAULT '\x',
    output_bytes bigint    NOT NULL DEFAULT 0,
    host         text,
    node         bigint,
    claim_key    text
);

CREATE INDEX runs_by_job ON schedd.runs (job_id, id);
CREATE INDEX runs_by_owner ON schedd.runs (owner_uid, id);
CREATE INDEX runs_running ON schedd.runs (node, id) WHERE outcome = 'running';
CREATE INDEX runs_by_origin ON schedd.runs (origin, id) WHERE origin IS NOT NULL;
-- Each occurrence is claimed at most once; a line's history is pruned by
-- its claim key.
CREATE UNIQUE INDEX runs_claims ON schedd.runs (claim_key, due, attempt)
    WHERE claim_key IS NOT NULL;
CREATE INDEX runs_by_claim ON schedd.runs (claim_key, id) WHERE claim_key IS NOT NULL;

-- Users' crontabs, as installed; `version` is the value of the counter
-- crontabs_version the installation set.
CREATE TABLE schedd.crontabs (
    owner_uid    bigint    PRIMARY KEY CHECK (owner_uid >= 0),
    owner_name   text,
    text         text      NOT NULL,
    installed    bigint    NOT NULL,
    version      bigint    NOT NULL
);

-- Small facts the daemons keep across restarts. The last instant a host
-- fully handled is per host: key 'handled@HOST'.
CREATE TABLE schedd.state (
    key          text      PRIMARY KEY,
    value        text      NOT NULL
);

-- Retries of crontab lines waiting for their instant, so that they survive
-- a restart: kept under the host that saved them, and held by a node (the
-- node that takes over a gone node's work holds its retries).
CREATE TABLE schedd.cron_retries (
    host         text      NOT NULL,
    origin       text      NOT NULL,
    scheduled    bigint    NOT NULL,
    command      text      NOT NULL,
    owner_uid    bigint    NOT NULL CHECK (owner_uid >= 0),
    attempt      bigint    NOT NULL CHECK (attempt >= 2),
    at           bigint    NOT NULL,
    node         bigint    NOT NULL,
    PRIMARY KEY (host, origin, scheduled)
);

CREATE INDEX cron_retries_by_node ON schedd.cron_retries (node);

-- A copy of each claimed one-shot job that has a policy, kept while its
-- run is in progress: when its daemon dies during the run and the policy
-- says to retry lost runs, whoever records the run lost queues it again.
CREATE TABLE schedd.held_jobs (
    run_id       bigint    PRIMARY KEY,
    id           bigint    NOT NULL,
    kind         text      NOT NULL,
    queue        text      NOT NULL,
    owner_uid    bigint    NOT NULL,
    owner_gid    bigint    NOT NULL,
    owner_name   text,
    due          bigint    NOT NULL,
    submitted    bigint    NOT NULL,
    command      text      NOT NULL,
    cwd          text      NOT NULL,
    umask        integer   NOT NULL,
    env          bytea     NOT NULL,
    mail         text      NOT NULL,
    policy       text      NOT NULL,
    attempt      bigint    NOT NULL,
    scheduled    bigint
);
