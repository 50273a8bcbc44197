-- at(1)'s queues: a letter per job, `a` for at and `b` for batch unless
-- the submitter chose one (`sched at -q`). Later letters run nicer, as
-- atd runs them; an upper-case letter is a batch queue.
ALTER TABLE jobs ADD COLUMN queue TEXT NOT NULL DEFAULT 'a'
    CHECK (length(queue) = 1 AND queue GLOB '[a-zA-Z]');
UPDATE jobs SET queue = 'b' WHERE kind = 'batch';
