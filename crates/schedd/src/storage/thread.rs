//! The spool's own thread. A store's calls block (SQLite connections are
//! not even `Sync`), so one thread owns the [`Store`] and async code sends
//! it work through a [`SpoolHandle`](super::SpoolHandle).
//!
//! Submissions that arrive while the thread is busy are written together in
//! one transaction: one fsync for many jobs, each still on disk before its
//! client hears back (group commit). Run ends waiting together are handed
//! to the store together too ([`Store::finish_runs`]), after any lease
//! renewal waiting: SQLite writes them in one transaction, PostgreSQL the
//! at jobs' in one statement and the rest in one transaction.
//!
//! Other work is served fairly: each call carries whose it is (a client's
//! uid, or the daemon's own), and the next call is always one of the party
//! that has had the least of the thread's time while work was waiting
//! (least attained service), the daemon's first. A user who floods the
//! thread with expensive calls (many connections asking for long listings)
//! thus runs behind everyone else, and a user who just arrived waits for
//! the call in progress, and at most one commit of submissions and one
//! group of run ends.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::mpsc;

use sched_spool::{JobId, NewJob, RunEnd, SpoolError, Store};
use tokio::sync::oneshot;

/// The most submissions written in one transaction, and the most bytes
/// (commands and environments): a commit of large jobs is not allowed to
/// hold up the calls waiting behind it for long.
const MAX_GROUP: usize = 1024;
const MAX_GROUP_BYTES: usize = 8 << 20;

/// Work for the spool thread: a named operation of the handle, with its
/// reply channel inside.
pub(super) type Call = Box<dyn FnOnce(&mut dyn Store) + Send>;

/// Whose a piece of work is, for fair service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Party {
    /// A fleet's heartbeat: its lease renewals must not wait behind the
    /// daemon's own backlog (a burst of run ends), or the host would be
    /// taken for dead while it works, and a dead one taken over late.
    Lease,
    /// The scheduler, the executor, start-up.
    Daemon,
    /// A client's request.
    Uid(u32),
}

/// Where the answer to a run end goes.
pub(super) type FinishReply = oneshot::Sender<Result<(), SpoolError>>;

pub(super) enum Work {
    Insert(NewJob, oneshot::Sender<Result<JobId, SpoolError>>),
    /// The daemon's record of how a run ended.
    Finish(RunEnd, FinishReply),
    Call(Party, Call),
}

/// Serves work until every sender is gone.
pub(super) fn serve(mut spool: Box<dyn Store>, receiver: mpsc::Receiver<Work>) {
    let mut queue = FairQueue::default();
    loop {
        if queue.is_empty() {
            match receiver.recv() {
                Ok(work) => queue.push(work),
                Err(_) => return,
            }
        }
        if serve_once(&mut *spool, &mut queue, &receiver).is_break() {
            return;
        }
    }
}

/// One turn of the thread: the submissions waiting, in one commit; then,
/// unless a lease renewal waits, the run ends waiting, together; then one
/// call, the fairest. Breaks when the store panicked.
fn serve_once(
    spool: &mut dyn Store,
    queue: &mut FairQueue,
    receiver: &mpsc::Receiver<Work>,
) -> ControlFlow<()> {
    take_arrivals(queue, receiver);
    let (jobs, replies) = queue.take_inserts();
    if !jobs.is_empty() {
        guarded(|| insert(spool, &jobs, replies))?;
    }
    // A renewal that came during the commit goes before a burst of ends.
    take_arrivals(queue, receiver);
    if !queue.lease_waiting() {
        let (ends, replies) = queue.take_finishes();
        if !ends.is_empty() {
            tracing::debug!(ends = ends.len(), "recording run ends together");
            guarded(|| {
                for (reply, answer) in replies.into_iter().zip(spool.finish_runs(&ends)) {
                    let _ = reply.send(answer);
                }
            })?;
        }
    }
    if let Some((party, call)) = queue.take_next() {
        let started = std::time::Instant::now();
        guarded(|| call(spool))?;
        queue.charge(party, started.elapsed());
    }
    ControlFlow::Continue(())
}

/// Queues the work sent since the last look, without waiting.
fn take_arrivals(queue: &mut FairQueue, receiver: &mpsc::Receiver<Work>) {
    while let Ok(work) = receiver.try_recv() {
        queue.push(work);
    }
}

/// Runs `work` on the store. A panic there would leave a daemon that
/// accepts requests and can store nothing: the thread ends instead, which
/// stops the whole daemon (EX_SOFTWARE), so that its supervisor restarts
/// it and the cause is logged.
fn guarded(work: impl FnOnce()) -> ControlFlow<()> {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).is_err() {
        tracing::error!("the spool thread panicked; stopping the daemon");
        return ControlFlow::Break(());
    }
    ControlFlow::Continue(())
}

/// Writes `jobs` in one transaction and answers each submitter.
fn insert(
    spool: &mut dyn Store,
    jobs: &[NewJob],
    replies: Vec<oneshot::Sender<Result<JobId, SpoolError>>>,
) {
    match spool.insert_jobs(jobs) {
        Ok(ids) => {
            for (reply, id) in replies.into_iter().zip(ids) {
                let _ = reply.send(Ok(id));
            }
        }
        Err(error) => {
            tracing::error!("cannot queue {} job(s): {error}", jobs.len());
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

/// Work waiting for the spool thread: submissions together, calls by party,
/// and the time each party had since the thread was last idle.
#[derive(Default)]
struct FairQueue {
    inserts: VecDeque<(NewJob, oneshot::Sender<Result<JobId, SpoolError>>)>,
    finishes: VecDeque<(RunEnd, FinishReply)>,
    calls: BTreeMap<Party, VecDeque<Call>>,
    served: HashMap<Party, std::time::Duration>,
}

/// Parties whose service time is remembered at most; past it the account
/// starts afresh (only reached under a flood from that many uids).
const MAX_ACCOUNTS: usize = 4096;

impl FairQueue {
    fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.finishes.is_empty() && self.calls.is_empty()
    }

    fn lease_waiting(&self) -> bool {
        self.calls.contains_key(&Party::Lease)
    }

    fn push(&mut self, work: Work) {
        match work {
            Work::Insert(job, reply) => self.inserts.push_back((job, reply)),
            Work::Finish(end, reply) => self.finishes.push_back((end, reply)),
            Work::Call(party, call) => self.calls.entry(party).or_default().push_back(call),
        }
    }

    /// Up to [`MAX_GROUP`] submissions and about [`MAX_GROUP_BYTES`], in
    /// arrival order, for one commit (always at least one).
    fn take_inserts(&mut self) -> (Vec<NewJob>, Vec<oneshot::Sender<Result<JobId, SpoolError>>>) {
        let mut bytes = 0;
        let mut n = 0;
        for (job, _) in self.inserts.iter().take(MAX_GROUP) {
            if n > 0 && bytes >= MAX_GROUP_BYTES {
                break;
            }
            bytes += job.command.len()
                + job
                    .env
                    .iter()
                    .map(|(name, value)| name.len() + value.len())
                    .sum::<usize>();
            n += 1;
        }
        self.inserts.drain(..n).unzip()
    }

    /// Up to [`MAX_GROUP`] run ends and about [`MAX_GROUP_BYTES`] of their
    /// kept output, in arrival order, for one write (always at least one
    /// when any waits).
    fn take_finishes(&mut self) -> (Vec<RunEnd>, Vec<FinishReply>) {
        let mut bytes = 0;
        let mut n = 0;
        for (end, _) in self.finishes.iter().take(MAX_GROUP) {
            if n > 0 && bytes >= MAX_GROUP_BYTES {
                break;
            }
            bytes += end.output.head.len() + end.output.tail.len();
            n += 1;
        }
        self.finishes.drain(..n).unzip()
    }

    /// The oldest call of the party with the least service so far: the
    /// fleet's heartbeat first, then the daemon's before any client's (the
    /// scheduler starting due jobs waits for no client), then by time
    /// served, then by uid.
    fn take_next(&mut self) -> Option<(Party, Call)> {
        let party = *self.calls.keys().min_by_key(|party| {
            let rank = match party {
                Party::Lease => 0,
                Party::Daemon => 1,
                Party::Uid(_) => 2,
            };
            (
                rank,
                self.served.get(party).copied().unwrap_or_default(),
                **party,
            )
        })?;
        let calls = self.calls.get_mut(&party)?;
        let call = calls.pop_front()?;
        if calls.is_empty() {
            self.calls.remove(&party);
        }
        Some((party, call))
    }

    /// Counts `spent` to `party`. Once nothing waits, everyone starts
    /// afresh: the accounts only order parties competing for the thread.
    fn charge(&mut self, party: Party, spent: std::time::Duration) {
        if self.is_empty() || self.served.len() >= MAX_ACCOUNTS {
            self.served.clear();
            return;
        }
        *self.served.entry(party).or_default() += spent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(log: &std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>, name: &'static str) -> Call {
        let log = log.clone();
        Box::new(move |_| log.lock().unwrap().push(name))
    }

    #[test]
    fn a_newcomer_is_served_next_and_a_flooding_party_after_everyone_else() {
        let log = std::sync::Arc::default();
        let mut queue = FairQueue::default();
        let dir = tempfile::tempdir().unwrap();
        let mut spool = sched_spool::SqliteSpool::open(&dir.path().join("spool.db")).unwrap();
        let mut run_next = |queue: &mut FairQueue, cost_ms: u64| {
            let (party, call) = queue.take_next().unwrap();
            call(&mut spool);
            queue.charge(party, std::time::Duration::from_millis(cost_ms));
        };
        for _ in 0..100 {
            queue.push(Work::Call(Party::Uid(1000), call(&log, "flood")));
            queue.push(Work::Call(Party::Uid(1002), call(&log, "flood2")));
        }
        // Both flooders have been served a while (70 ms a call).
        for _ in 0..10 {
            run_next(&mut queue, 70);
        }
        log.lock().unwrap().clear();
        queue.push(Work::Call(Party::Uid(1001), call(&log, "bystander")));
        run_next(&mut queue, 1);
        queue.push(Work::Call(Party::Uid(1001), call(&log, "bystander again")));
        queue.push(Work::Call(Party::Daemon, call(&log, "daemon")));
        run_next(&mut queue, 1);
        run_next(&mut queue, 1);
        run_next(&mut queue, 70);
        assert_eq!(
            *log.lock().unwrap(),
            ["bystander", "daemon", "bystander again", "flood"]
        );
        // The flooders share what is left between them.
        log.lock().unwrap().clear();
        for _ in 0..4 {
            run_next(&mut queue, 70);
        }
        let mut served = log.lock().unwrap().clone();
        served.sort();
        assert_eq!(served, ["flood", "flood", "flood2", "flood2"]);
    }

    #[test]
    fn a_lease_renewal_is_served_before_the_daemons_backlog_and_clients() {
        let log = std::sync::Arc::default();
        let mut queue = FairQueue::default();
        for _ in 0..1000 {
            queue.push(Work::Call(Party::Daemon, call(&log, "run end")));
        }
        queue.push(Work::Call(Party::Uid(1000), call(&log, "client")));
        queue.push(Work::Call(Party::Lease, call(&log, "renew")));
        let dir = tempfile::tempdir().unwrap();
        let mut spool = sched_spool::SqliteSpool::open(&dir.path().join("spool.db")).unwrap();
        // Queued last, behind a thousand run ends and a client's call,
        // the renewal is served first.
        let (party, first) = queue.take_next().unwrap();
        first(&mut spool);
        queue.charge(party, std::time::Duration::from_millis(5));
        assert_eq!(*log.lock().unwrap(), ["renew"]);
        while let Some((party, next)) = queue.take_next() {
            next(&mut spool);
            queue.charge(party, std::time::Duration::from_millis(5));
        }
        let served = log.lock().unwrap();
        assert_eq!(served.len(), 1002);
        assert_eq!(served[1001], "client");
    }

    fn no_end(run: u64) -> (Work, oneshot::Receiver<Result<(), SpoolError>>) {
        let (reply, answer) = oneshot::channel();
        let end = RunEnd {
            run: sched_spool::RunId(run),
            finished: jiff::Timestamp::UNIX_EPOCH,
            outcome: sched_spool::Outcome::Exited(0),
            output: sched_spool::Output::default(),
        };
        (Work::Finish(end, reply), answer)
    }

    #[test]
    fn a_renewal_sent_behind_a_burst_of_run_ends_goes_first_and_the_ends_together() {
        let log = std::sync::Arc::default();
        let dir = tempfile::tempdir().unwrap();
        let mut spool = sched_spool::SqliteSpool::open(&dir.path().join("spool.db")).unwrap();
        let (sender, receiver) = mpsc::channel();
        let mut queue = FairQueue::default();
        let mut answers = Vec::new();
        for run in 1..=1000 {
            let (work, answer) = no_end(run);
            queue.push(work);
            answers.push(answer);
        }
        // Sent, not yet queued: the turn looks again before the ends go.
        sender
            .send(Work::Call(Party::Lease, call(&log, "renew")))
            .unwrap();
        assert!(serve_once(&mut spool, &mut queue, &receiver).is_continue());
        assert_eq!(*log.lock().unwrap(), ["renew"]);
        assert!(
            answers.iter_mut().all(|answer| answer.try_recv().is_err()),
            "no end was written before the renewal"
        );
        // The next turn writes all of them, each answered for itself
        // (there are no such runs).
        assert!(serve_once(&mut spool, &mut queue, &receiver).is_continue());
        for mut answer in answers {
            let answer = answer.try_recv().expect("answered in one turn");
            assert!(
                matches!(answer, Err(SpoolError::NotFound { .. })),
                "{answer:?}"
            );
        }
        assert!(queue.is_empty());
    }

    #[test]
    fn run_ends_are_taken_together_in_order_up_to_about_eight_mib() {
        let mut queue = FairQueue::default();
        let end = |run: u64, head: usize| RunEnd {
            run: sched_spool::RunId(run),
            finished: jiff::Timestamp::UNIX_EPOCH,
            outcome: sched_spool::Outcome::Exited(0),
            output: sched_spool::Output {
                head: vec![b'x'; head],
                tail: Vec::new(),
                total_bytes: head as u64,
            },
        };
        for run in 1..=3 {
            queue.push(Work::Finish(end(run, 3 << 20), oneshot::channel().0));
        }
        for run in 4..=2000 {
            queue.push(Work::Finish(end(run, 0), oneshot::channel().0));
        }
        assert!(!queue.lease_waiting());
        queue.push(Work::Call(Party::Lease, Box::new(|_| {})));
        assert!(queue.lease_waiting());
        let runs = |ends: Vec<RunEnd>| ends.into_iter().map(|end| end.run.0).collect::<Vec<_>>();
        assert_eq!(runs(queue.take_finishes().0), [1, 2, 3]);
        let next = runs(queue.take_finishes().0);
        assert_eq!(next, (4..4 + MAX_GROUP as u64).collect::<Vec<_>>());
        assert_eq!(queue.take_finishes().0.len(), 2000 - 3 - MAX_GROUP);
        assert!(queue.take_finishes().0.is_empty());
        assert!(!queue.is_empty(), "the renewal still waits");
    }

    #[test]
    fn one_commit_takes_about_eight_mib_of_submissions_at_most() {
        let mut queue = FairQueue::default();
        let job = sched_spool::NewJob {
            kind: sched_spool::JobKind::At,
            queue: 'a',
            owner_uid: sched_spool::Uid(1000),
            owner_gid: 1000,
            owner_name: None,
            due: jiff::Timestamp::UNIX_EPOCH,
            submitted: jiff::Timestamp::UNIX_EPOCH,
            command: "x".repeat(5 << 20),
            cwd: "/".into(),
            umask: 0o022,
            env: Vec::new(),
            mail: Default::default(),
            policy: String::new(),
            attempt: 1,
            scheduled: None,
        };
        for _ in 0..3 {
            queue.push(Work::Insert(job.clone(), oneshot::channel().0));
        }
        assert_eq!(queue.take_inserts().0.len(), 2);
        assert_eq!(queue.take_inserts().0.len(), 1);
        assert!(queue.is_empty());
    }
}
