//! The spool's own thread. SQLite connections are not `Sync` and their calls
//! block, so one thread owns the [`Spool`] and async code sends it work.
//!
//! Submissions that arrive while the thread is busy are written together in
//! one transaction: one fsync for many jobs, each still on disk before its
//! client hears back (group commit).

use std::sync::mpsc;

use sched_spool::{NewJob, Spool, SpoolError};
use tokio::sync::oneshot;

/// The most submissions written in one transaction.
const MAX_GROUP: usize = 1024;

type Call = Box<dyn FnOnce(&mut Spool) + Send>;

enum Work {
    Insert(NewJob, oneshot::Sender<Result<u64, String>>),
    Call(Call),
}

/// A cheap handle to the spool thread.
#[derive(Clone, Debug)]
pub struct SpoolHandle {
    sender: mpsc::Sender<Work>,
}

/// The spool thread is gone (the daemon is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the spool thread has stopped")]
pub struct SpoolGone;

/// A failure of a spool call: the spool's own error, or no spool thread.
#[derive(Debug, thiserror::Error)]
pub enum SpoolCallError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("{0}")]
    Insert(String),
    #[error(transparent)]
    Gone(#[from] SpoolGone),
}

impl SpoolHandle {
    /// Starts the thread that owns `spool`. It ends when every handle is
    /// dropped, after finishing the work already sent.
    pub fn start(spool: Spool) -> std::io::Result<(SpoolHandle, std::thread::JoinHandle<()>)> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("spool".to_owned())
            .spawn(move || serve(spool, receiver))?;
        Ok((SpoolHandle { sender }, thread))
    }

    /// Queues one job durably and returns its id.
    pub async fn insert(&self, job: NewJob) -> Result<u64, SpoolCallError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Work::Insert(job, reply))
            .map_err(|_| SpoolGone)?;
        answer
            .await
            .map_err(|_| SpoolGone)?
            .map_err(SpoolCallError::Insert)
    }

    /// Runs `f` on the spool thread and returns its result.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Spool) -> Result<R, SpoolError> + Send + 'static,
    ) -> Result<R, SpoolCallError> {
        let (reply, answer) = oneshot::channel();
        let call: Call = Box::new(move |spool| {
            // The caller may have gone away; its answer is then unneeded.
            let _ = reply.send(f(spool));
        });
        self.sender.send(Work::Call(call)).map_err(|_| SpoolGone)?;
        Ok(answer.await.map_err(|_| SpoolGone)??)
    }
}

fn serve(mut spool: Spool, receiver: mpsc::Receiver<Work>) {
    let mut pending: Option<Work> = None;
    loop {
        let work = match pending.take() {
            Some(work) => work,
            None => match receiver.recv() {
                Ok(work) => work,
                Err(_) => return,
            },
        };
        match work {
            Work::Call(call) => {
                // A panic here would leave a daemon that accepts requests
                // and can store nothing: stop the whole daemon instead, so
                // that its supervisor restarts it and the cause is logged.
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(&mut spool)));
                if result.is_err() {
                    tracing::error!("the spool thread panicked; stopping the daemon");
                    std::process::exit(70);
                }
            }
            Work::Insert(job, reply) => {
                let mut jobs = vec![job];
                let mut replies = vec![reply];
                while jobs.len() < MAX_GROUP {
                    match receiver.try_recv() {
                        Ok(Work::Insert(job, reply)) => {
                            jobs.push(job);
                            replies.push(reply);
                        }
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                match spool.insert_jobs(&jobs) {
                    Ok(ids) => {
                        for (reply, id) in replies.into_iter().zip(ids) {
                            let _ = reply.send(Ok(id));
                        }
                    }
                    Err(error) => {
                        tracing::error!("cannot queue {} job(s): {error}", jobs.len());
                        let message = error.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(message.clone()));
                        }
                    }
                }
            }
        }
    }
}
