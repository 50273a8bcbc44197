-- Cron runs are kept per crontab entry (its origin, `FILE:LINE`), the
-- newest first; older finished ones are pruned as each run finishes.
CREATE INDEX runs_by_origin ON runs (origin, id) WHERE origin IS NOT NULL;
