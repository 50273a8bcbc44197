//! Starting a claimed job as its owner and recording how it ends.
//!
//! The scheduler hands over a job already claimed in the spool (consumed,
//! with a `running` row). Starting resolves the owner again, so a deleted
//! user's job is recorded as failed instead of run; waiting happens in a
//! task of its own, so a long job never delays the scheduler.

use sched_spool::RunId;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use sched_runas::ResolvedUser;
use sched_spool::{JobRecord, Outcome, Output, SpoolError};

use crate::clock::Clock;
use crate::cron::CronJob;
use crate::cron::environment::{self, cron_environment};
use crate::running::launcher::{LaunchSpec, Launched, Launcher};
use crate::running::mail::{self, MailPlan};
use crate::running::output;
use crate::storage::{SpoolCallError, SpoolHandle};

/// The shell that runs every job, as cron and at use.
pub const SHELL: &str = "/bin/sh";

/// What running jobs needs from the daemon.
#[derive(Debug, Clone)]
pub struct Executor {
    pub spool: SpoolHandle,
    pub clock: Clock,
    pub output_dir: PathBuf,
    /// Bytes of output kept per run. SIGHUP may change it; a run keeps the
    /// value it started with, and the task that trims running jobs' output
    /// files (`output_trim`) reads the same value.
    pub output_limit: Arc<std::sync::atomic::AtomicU64>,
    /// Told how each started run ended.
    pub report: Report,
    /// The mailer for jobs' output (sendmail); absent: no mail.
    pub sendmail: PathBuf,
    /// The jobs running now.
    pub running: crate::running::in_progress::Running,
    /// What the daemon counts: runs, their duration and start lag.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where jobs' processes start.
    pub launcher: Launcher,
}

/// How a started run ended: what the executor reports once the end is
/// recorded.
#[derive(Debug, Clone)]
pub struct RunFinished {
    pub run: RunId,
    pub outcome: Outcome,
    /// What it wrote, as recorded (for an on-failure command).
    pub output: Output,
}

/// Where the executor reports each run's end: the scheduler, in the
/// daemon. A function, so that running knows nothing of who listens.
#[derive(Clone)]
pub struct Report(pub Arc<dyn Fn(RunFinished) + Send + Sync>);

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Report")
    }
}

/// What a run runs.
#[derive(Debug, Clone)]
pub enum Task {
    /// A one-shot job, claimed from the spool.
    Job(JobRecord),
    /// A crontab entry's occurrence due at `scheduled`, attempt `attempt`
    /// (1 for its first run).
    Cron {
        job: Arc<CronJob>,
        scheduled: Timestamp,
        attempt: u32,
        /// Started with `sched run`, outside the schedule.
        manual: bool,
    },
}

/// The variable that tells a job why it runs: `schedule` (its instant),
/// `retry` (a later attempt), `manual` (`sched run`).
pub const REASON: &str = "SCHED_REASON";

impl Task {
    /// The occurrence's instant and the attempt: what the job sees as
    /// `SCHED_SCHEDULED_AT` and `SCHED_ATTEMPT`.
    pub fn occurrence(&self) -> (Timestamp, u32) {
        match self {
            Task::Job(job) => (job.job.scheduled(), job.job.attempt),
            Task::Cron {
                scheduled, attempt, ..
            } => (*scheduled, *attempt),
        }
    }

    /// The name the owner's account had when the job was stored or its
    /// crontab loaded; `None` for a job stored before names were kept.
    fn owner_name(&self) -> Option<&str> {
        match self {
            Task::Job(job) => job.job.owner_name.as_deref(),
            Task::Cron { job, .. } => Some(&job.user.name),
        }
    }

    fn owner_uid(&self) -> u32 {
        match self {
            Task::Job(job) => job.job.owner_uid.0,
            Task::Cron { job, .. } => job.user.uid,
        }
    }
}

/// A claimed run made ready to start: its owner looked up again, its
/// environment built and its output file open. Starting it is then only
/// the fork and exec.
#[derive(Debug)]
pub struct Ready {
    pub task: Task,
    pub run: RunId,
    user: ResolvedUser,
    env: Vec<(String, String)>,
    shell: PathBuf,
    cwd: PathBuf,
    umask: u32,
    stdin: Option<std::fs::File>,
    mail: Option<MailPlan>,
    output: std::fs::File,
}

/// A run whose process started.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    pub run: RunId,
    pub pid: u32,
    pub at: Timestamp,
}

impl Executor {
    /// Starts `task` (claimed as run `run`) at once; see [`launch`](Self::launch).
    pub async fn start(&self, task: Task, run: RunId) -> Option<Started> {
        let ready = self.prepare(task, run).await?;
        self.launch(ready).await
    }

    /// Puts settings read again on SIGHUP in force: runs started from now
    /// on keep `output_limit` bytes and mail with `sendmail`.
    pub fn reconfigure(&mut self, output_limit: u64, sendmail: PathBuf) {
        self.output_limit
            .store(output_limit, std::sync::atomic::Ordering::Relaxed);
        self.sendmail = sendmail;
    }

    /// Records the pid and start instant of runs just started, in one
    /// transaction: after the forks, so that no job waits for the write,
    /// and before the scheduler goes on, so that `sched logs` shows each
    /// started run from then on. `handled`: the last instant handled,
    /// recorded in the same transaction.
    pub async fn record_started(&self, started: Vec<Started>, handled: Option<Timestamp>) {
        if started.is_empty() && handled.is_none() {
            return;
        }
        let rows: Vec<_> = started
            .iter()
            .map(|run| (run.run, run.pid, run.at))
            .collect();
        if let Err(error) = self.spool.set_started(rows, handled).await {
            tracing::warn!(runs = started.len(), "cannot record started runs: {error}");
        }
    }

    /// Makes `task` (claimed as run `run`) ready; see [`prepare_all`](Self::prepare_all).
    pub async fn prepare(&self, task: Task, run: RunId) -> Option<Ready> {
        self.prepare_all(vec![(task, run)]).await.pop().flatten()
    }

    /// Looks up the owners of `tasks`, builds their environments and opens
    /// their output files; the results are in the order of `tasks`. The
    /// owners are looked up in one blocking call, each account once: a
    /// burst of jobs due together waits for one hand-over to a blocking
    /// thread, not one per job. A run that cannot start (its owner is
    /// gone, the output directory refuses) is recorded as failed here, and
    /// is `None`.
    pub async fn prepare_all(&self, tasks: Vec<(Task, RunId)>) -> Vec<Option<Ready>> {
        let owners = self
            .look_up_owners(tasks.iter().map(|(task, _)| task))
            .await;
        let mut ready = Vec::with_capacity(tasks.len());
        for ((task, run), owner) in tasks.into_iter().zip(owners) {
            let prepared = match owner {
                Ok(user) => self.prepare_as(task, run, user).await,
                Err(reason) => {
                    self.record_failure(run, kind_label(&task), reason, Output::default())
                        .await;
                    None
                }
            };
            ready.push(prepared);
        }
        ready
    }

    /// The owner of each of `tasks`, in order, or why it is not run (see
    /// [`owner`]): looked up in one blocking call, each account once.
    pub async fn look_up_owners<'a>(
        &self,
        tasks: impl Iterator<Item = &'a Task>,
    ) -> Vec<Result<ResolvedUser, String>> {
        let wanted: Vec<(u32, Option<String>)> = tasks
            .map(|task| (task.owner_uid(), task.owner_name().map(str::to_owned)))
            .collect();
        let mut accounts: Vec<(u32, Option<String>)> = Vec::new();
        for account in &wanted {
            if !accounts.contains(account) {
                accounts.push(account.clone());
            }
        }
        let looked_up = tokio::task::spawn_blocking({
            let accounts = accounts.clone();
            move || {
                accounts
                    .iter()
                    .map(|(uid, name)| owner(*uid, name.as_deref()))
                    .collect::<Vec<_>>()
            }
        })
        .await;
        wanted
            .iter()
            .map(|account| match &looked_up {
                Ok(owners) => accounts
                    .iter()
                    .position(|known| known == account)
                    .and_then(|index| owners.get(index))
                    .cloned()
                    .unwrap_or_else(|| Err(format!("cannot look up user {}", account.0))),
                Err(join) => Err(format!("cannot look up user {}: {join}", account.0)),
            })
            .collect()
    }

    /// Builds the environment of `task`, whose owner is `user` (looked up
    /// with [`look_up_owners`](Self::look_up_owners)), and opens its output
    /// file. A run that cannot start (the output directory refuses) is
    /// recorded as failed here, and `None` is returned.
    pub async fn prepare_as(&self, task: Task, run: RunId, user: ResolvedUser) -> Option<Ready> {
        let kind = kind_label(&task);
        let (mut env, shell, cwd, umask, stdin_text, mail) = match &task {
            Task::Job(job) => (
                job_environment(&user, &job.job.env),
                PathBuf::from(SHELL),
                PathBuf::from(&job.job.cwd),
                job.job.umask,
                None,
                mail::plan_for_job(&user, job.id, job.job.mail, &self.sendmail),
            ),
            Task::Cron { job, .. } => {
                let env = cron_environment(&user, job.env());
                // cron runs the job with the crontab's SHELL, in its HOME.
                let shell = PathBuf::from(environment::lookup(&env, "SHELL").unwrap_or(SHELL));
                let cwd = PathBuf::from(environment::lookup(&env, "HOME").unwrap_or("/"));
                let mail = mail::plan(
                    &user,
                    &env,
                    &job.command,
                    job.mail_only_on_error,
                    &self.sendmail,
                );
                let stdin = (!job.stdin.is_empty()).then_some(&*job.stdin);
                (env, shell, cwd, CRON_UMASK, stdin, mail)
            }
        };
        // What the policies tell the job: which attempt this is, and when
        // its occurrence was due (a late, retried or caught-up run knows).
        let (scheduled, attempt) = task.occurrence();
        set_variable(&mut env, "SCHED_ATTEMPT", attempt.to_string());
        set_variable(&mut env, "SCHED_SCHEDULED_AT", scheduled.to_string());
        let reason = match &task {
            Task::Cron { manual: true, .. } => "manual",
            // A one-shot job started with `sched run` carries the reason
            // in its environment, set by the scheduler.
            Task::Job(job)
                if job
                    .job
                    .env
                    .iter()
                    .any(|(name, value)| name == REASON && value == "manual") =>
            {
                "manual"
            }
            _ if attempt > 1 => "retry",
            _ => "schedule",
        };
        set_variable(&mut env, REASON, reason.to_owned());
        // Before the output file: a failure here leaves nothing to clean up.
        let stdin = match stdin_text.map(|text| output::stdin_file(&self.output_dir, text)) {
            None => None,
            Some(Ok(file)) => Some(file),
            Some(Err(error)) => {
                let reason = format!(
                    "cannot write the job's standard input in {}: {error}",
                    self.output_dir.display()
                );
                self.record_failure(run, kind, reason, Output::default())
                    .await;
                return None;
            }
        };
        let output = match output::create(&self.output_dir, run) {
            Ok(file) => file,
            Err(error) => {
                let reason = format!(
                    "cannot create the output file in {}: {error}",
                    self.output_dir.display()
                );
                self.record_failure(run, kind, reason, Output::default())
                    .await;
                return None;
            }
        };
        Some(Ready {
            task,
            run,
            user,
            env,
            shell,
            cwd,
            umask,
            stdin,
            mail,
            output,
        })
    }

    /// Drops a run made ready but not started, and its unused output file;
    /// the caller returns the claim to the spool.
    pub fn abandon(&self, ready: Ready) {
        let path = output::path(&self.output_dir, ready.run);
        drop(ready.output);
        if let Err(error) = output::remove(&path) {
            tracing::warn!(
                run = ready.run.0,
                "cannot remove {}: {error}",
                path.display()
            );
        }
    }

    /// Starts a ready job; see [`launch_all`](Self::launch_all).
    pub async fn launch(&self, ready: Ready) -> Option<Started> {
        self.launch_all(vec![ready]).await.pop().flatten()
    }

    /// Starts ready jobs from the launching threads in one batch (shared
    /// among them when large), the results in order.
    /// Returns each started process, to be recorded with
    /// [`record_started`](Self::record_started); a run that failed to start
    /// is recorded as failed here (`None` in its place), and no
    /// [`RunFinished`] follows.
    pub async fn launch_all(&self, ready: Vec<Ready>) -> Vec<Option<Started>> {
        let mut specs = Vec::with_capacity(ready.len());
        let mut launching = Vec::with_capacity(ready.len());
        for Ready {
            task,
            run,
            user,
            env,
            shell,
            cwd,
            umask,
            stdin,
            mail,
            output,
        } in ready
        {
            let script = match &task {
                Task::Job(job) => job.job.command.clone(),
                Task::Cron { job, .. } => job.command.to_string(),
            };
            // at jobs run nicer by queue, as atd runs them; cron jobs as cron.
            let nice = match &task {
                Task::Job(job) => nice_of(job.job.queue),
                Task::Cron { .. } => 0,
            };
            let (uid, name) = (user.uid(), user.name().to_owned());
            specs.push(LaunchSpec {
                user,
                shell,
                script,
                env,
                cwd,
                umask,
                nice,
                output,
                stdin,
            });
            launching.push((task, run, uid, name, mail));
        }
        let spawned = self.launcher.launch(specs).await;
        let mut started = Vec::with_capacity(launching.len());
        for ((task, run, uid, name, mail), spawned) in launching.into_iter().zip(spawned) {
            started.push(self.after_launch(task, run, uid, name, mail, spawned).await);
        }
        started
    }

    /// Records the start of run `run` (or its failure to start) and waits
    /// for its end in a task of its own.
    async fn after_launch(
        &self,
        task: Task,
        run: RunId,
        uid: u32,
        name: String,
        mail: Option<MailPlan>,
        launched: Launched,
    ) -> Option<Started> {
        let Launched {
            process: spawned,
            at,
            monotonic: began,
        } = launched;
        let kind = kind_label(&task);
        let child = match spawned {
            Ok(child) => child,
            Err(reason) => {
                tracing::warn!(run = run.0, "not run: {reason}");
                self.metrics
                    .run_not_timed(kind, &Outcome::Failed(reason.clone()));
                let limit = self.output_limit();
                self.conclude(run, Outcome::Failed(reason), None, limit)
                    .await;
                return None;
            }
        };
        let pid = child.id();
        let (scheduled, _) = task.occurrence();
        self.metrics
            .run_started(kind, at.duration_since(scheduled).as_secs_f64());
        let what = describe(&task);
        // A crontab line written with a leading `-` is not logged (cronie);
        // its run is still recorded in the history.
        let logged = !matches!(&task, Task::Cron { job, .. } if job.no_log);
        if logged {
            tracing::info!(run = run.0, user = %name, uid, pid, "({name}) {what} started, pid {pid}");
        }
        let executor = self.clone();
        let limit = self.output_limit();
        self.running.started(run, pid);
        tokio::spawn(async move {
            let mut outcome = match child.wait().await {
                Ok(status) => outcome_of(status),
                Err(error) => Outcome::Failed(format!("cannot wait for the job: {error}")),
            };
            // Stopped by its timeout: that is how it ended, whatever the
            // process did with the signal.
            if let Some(stopped) = executor.running.take_timed_out(run) {
                let (code, signal) = match outcome {
                    Outcome::Exited(code) => (Some(code), None),
                    Outcome::Signalled(signal) => (None, Some(signal)),
                    _ => (None, None),
                };
                outcome = Outcome::TimedOut {
                    stopped,
                    code,
                    signal,
                };
            }
            // The pid is reaped and may be given to another process: it is
            // no longer this run's to signal. A run being killed loses
            // what is left of its process group now (those members still
            // hold the group's id, so it names no one else).
            executor.running.exited(run, pid);
            if logged {
                let ended = executor.clock.now();
                let seconds = ended.duration_since(at).as_secs_f64().max(0.0);
                let status = match &outcome {
                    Outcome::Exited(code) => format!("exit {code}"),
                    Outcome::Signalled(signal) => format!("signal {signal}"),
                    Outcome::Failed(reason) => format!("failed: {reason}"),
                    Outcome::TimedOut { code, signal, .. } => match (code, signal) {
                        (Some(code), _) => format!("timed out, exit {code}"),
                        (_, Some(signal)) => format!("timed out, signal {signal}"),
                        _ => "timed out".to_owned(),
                    },
                    other => format!("{other:?}"),
                };
                tracing::info!(
                    run = run.0,
                    user = %name,
                    uid,
                    pid,
                    status = %status,
                    seconds,
                    "({name}) {what} ended, pid {pid}: {status} after {seconds:.3} s"
                );
            }
            // On the monotonic clock: a clock step during the run does not
            // lengthen or shorten it.
            let ran = (executor.clock.monotonic() - began).as_secs_f64();
            executor.metrics.run_ended(kind, &outcome, ran);
            let output = executor.conclude(run, outcome.clone(), mail, limit).await;
            executor.running.ended(run);
            (executor.report.0)(RunFinished {
                run,
                outcome,
                output,
            });
        });
        Some(Started { run, pid, at })
    }

    /// Records how run `run` ended with the output it wrote, then removes
    /// its output file (only once recorded: a crash in between loses
    /// nothing).
    /// The output limit in force now.
    fn output_limit(&self) -> u64 {
        self.output_limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records how run `run` ended, mails its output when asked, and
    /// returns the output as recorded.
    async fn conclude(
        &self,
        run: RunId,
        outcome: Outcome,
        mail: Option<MailPlan>,
        limit: u64,
    ) -> Output {
        let path = output::path(&self.output_dir, run);
        let reading = path.clone();
        let output = match tokio::task::spawn_blocking(move || output::read(&reading, limit)).await
        {
            Ok(Ok(output)) => output,
            Ok(Err(error)) => {
                tracing::warn!(run = run.0, "cannot read the job's output: {error}");
                Output::default()
            }
            Err(_) => Output::default(),
        };
        let total_bytes = output.total_bytes;
        let mailed = mail.filter(|plan| plan.wanted(&outcome, total_bytes));
        let recorded = self
            .record(
                run,
                self.clock.now(),
                outcome,
                output.clone(),
                Retry::UntilDone,
            )
            .await;
        let refused = mailed.as_ref().and_then(|plan| plan.refused.clone());
        if let Some(refused) = &refused {
            tracing::warn!(run = run.0, "{refused}");
        }
        // Who ended the run (`sched kill`), and why its output was not
        // mailed: what its history says besides the outcome.
        let note = [self.running.take_note(run), refused.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
        if !note.is_empty()
            && let Err(error) = self.spool.note_run(run, note).await
        {
            tracing::error!(run = run.0, "cannot record the run's note: {error}");
        }
        if let Some(plan) = mailed.filter(|_| refused.is_none()) {
            let (reading, scratch) = (path.clone(), self.output_dir.clone());
            let to = plan.to.clone();
            match tokio::task::spawn_blocking(move || plan.send(&reading, &scratch, limit)).await {
                Ok(Ok(())) => tracing::info!(run = run.0, "output mailed to {to}"),
                Ok(Err(error)) => {
                    tracing::warn!(run = run.0, "cannot mail the output to {to}: {error}")
                }
                Err(_) => {}
            }
        }
        if recorded && let Err(error) = output::remove(&path) {
            tracing::warn!(run = run.0, "cannot remove {}: {error}", path.display());
        }
        output
    }

    async fn record_failure(&self, run: RunId, kind: &'static str, reason: String, output: Output) {
        tracing::warn!(run = run.0, "not run: {reason}");
        self.metrics
            .run_not_timed(kind, &Outcome::Failed(reason.clone()));
        // Awaited by the scheduler, which must not wait for a disk to
        // empty: tried once; a run left "running" is marked lost at the
        // next start.
        self.record(
            run,
            self.clock.now(),
            Outcome::Failed(reason),
            output,
            Retry::Once,
        )
        .await;
    }

    /// Records the end of a run; false when the spool refused.
    async fn record(
        &self,
        run: RunId,
        finished: Timestamp,
        outcome: Outcome,
        output: Output,
        retry: Retry,
    ) -> bool {
        // A full disk or a failing device is retried until it recovers:
        // the output file stays until the end is recorded, so nothing is
        // lost meanwhile, and a daemon stopped before then marks the run
        // lost with that output at its next start.
        let mut delay = RECORD_RETRY_FIRST;
        loop {
            let (outcome, output) = (outcome.clone(), output.clone());
            let result = self.spool.finish_run(run, finished, outcome, output).await;
            match result {
                Ok(()) => return true,
                Err(SpoolCallError::Spool(error))
                    if error.is_transient() && retry == Retry::UntilDone =>
                {
                    tracing::error!(
                        run = run.0,
                        "cannot record the end of the run, retrying in {delay:?}: {error}"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RECORD_RETRY_MAX);
                }
                // The run's row is gone (removed by hand): nothing is left
                // to record, and its output may go.
                Err(SpoolCallError::Spool(error @ SpoolError::NotFound { .. })) => {
                    tracing::warn!(run = run.0, "the end of the run is not recorded: {error}");
                    return true;
                }
                Err(error) => {
                    tracing::error!(run = run.0, "cannot record the end of the run: {error}");
                    return false;
                }
            }
        }
    }
}

/// Sets `name` in `env`, replacing any value it had.
fn set_variable(env: &mut Vec<(String, String)>, name: &str, value: String) {
    match env.iter_mut().find(|(existing, _)| existing == name) {
        Some(slot) => slot.1 = value,
        None => env.push((name.to_owned(), value)),
    }
}

/// The job's environment: HOME, LOGNAME, USER, SHELL and PATH from the
/// owner's account, then what the submitter's environment held (at(1) keeps
/// it), which wins. Nothing of the daemon's own environment.
pub(crate) fn job_environment(
    user: &ResolvedUser,
    submitted: &[(String, String)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("HOME".to_owned(), user.home().display().to_string()),
        ("LOGNAME".to_owned(), user.name().to_owned()),
        ("USER".to_owned(), user.name().to_owned()),
        ("SHELL".to_owned(), SHELL.to_owned()),
        ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
    ];
    for (name, value) in submitted {
        match env.iter_mut().find(|(existing, _)| existing == name) {
            Some(slot) => slot.1 = value.clone(),
            None => env.push((name.clone(), value.clone())),
        }
    }
    env
}

/// Whether recording a run's end waits out a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Once,
    UntilDone,
}

/// The first and the longest wait before recording a run's end again after
/// a transient failure (a full disk).
const RECORD_RETRY_FIRST: std::time::Duration = std::time::Duration::from_secs(1);
const RECORD_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(30);

/// The umask of cron jobs: cron's own, which is the system's usual one.
const CRON_UMASK: u32 = 0o022;

/// The account that owns a job of `uid` stored (or loaded) under the name
/// `expected`, looked up again: the reason it is not run otherwise. The
/// owner is the account that stored the job, looked up by name: a uid
/// given to a new account after the owner's was deleted does not make the
/// newcomer the owner, and two accounts sharing a uid are each themselves.
/// Blocking (the system's user database).
fn owner(uid: u32, expected: Option<&str>) -> Result<ResolvedUser, String> {
    let Some(name) = expected else {
        return Err(format!(
            "the owner of uid {uid} is not known (stored before owners' names were kept, and the name could not be recorded): not run; root can remove it"
        ));
    };
    let resolved = sched_runas::resolve_uid(uid);
    match (sched_runas::uid_of_name(name), resolved) {
        (Ok(Some(owner_uid)), Ok(user)) if owner_uid == uid => Ok(user),
        (Ok(Some(owner_uid)), Err(error)) if owner_uid == uid => Err(error.to_string()),
        (Err(error), _) => Err(format!("cannot look up the owner {name}: {error}")),
        (_, Ok(now)) => Err(format!(
            "the owner {name} (uid {uid}) no longer exists: uid {uid} is now {}'s; not run",
            now.name()
        )),
        (_, Err(error)) => Err(error.to_string()),
    }
}

/// A run's kind as the metrics label it.
fn kind_label(task: &Task) -> &'static str {
    match task {
        Task::Job(job) => match job.job.kind {
            sched_spool::JobKind::At => "at",
            sched_spool::JobKind::Batch => "batch",
        },
        Task::Cron { .. } => "cron",
    }
}

/// What a run is, for the log.
fn describe(task: &Task) -> String {
    match task {
        Task::Job(job) => format!("job {}", job.id),
        Task::Cron { job, .. } => format!("{} ({})", job.origin(), job.user.name),
    }
}

fn outcome_of(status: std::process::ExitStatus) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Outcome::Exited(code),
        (None, Some(signal)) => Outcome::Signalled(signal),
        (None, None) => Outcome::Failed(format!("ended with status {status}")),
    }
}

/// How much nicer than the daemon a job of `queue` runs, as atd runs it:
/// 2 for `a`, 4 for `b`, and 2 more for each later letter (the kernel
/// stops at 19).
pub fn nice_of(queue: char) -> i32 {
    let letter = queue.to_ascii_lowercase();
    if letter.is_ascii_lowercase() {
        (i32::from(letter as u8 - b'a') + 1) * 2
    } else {
        0
    }
}
