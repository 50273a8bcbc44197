-- schedd spool, schema 6: when a one-shot job's output is mailed to its
-- owner, as at(1) decides it: 'output' when the job wrote anything (the
-- default, and what every job stored before schema 6 gets), 'always'
-- (`at -m`) or 'never' (`at -M`).
ALTER TABLE jobs ADD COLUMN mail TEXT NOT NULL DEFAULT 'output'
    CHECK (mail IN ('output', 'always', 'never'));
