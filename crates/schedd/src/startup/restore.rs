//! What a starting daemon takes over from the spool: owners' names for
//! rows stored before they were kept, runs a previous daemon lost track
//! of, the users' crontabs, and whether the system booted since.

use std::path::Path;

use anyhow::Context as _;
use sched_cron::policy::Policy;
use sched_spool::{RunRecord, SpoolError, Store, StoredCrontab};

use crate::clock::Clock;
use crate::cron::{self, Zones};
use crate::error::DaemonError;
use crate::running::output;
use crate::storage::SpoolHandle;

/// Jobs and crontabs stored before owners' names were kept (schema 5)
/// take the name of the account holding their uid now, once: from then on
/// a reused uid is told apart. A uid with no account is left without a
/// name (its jobs fail for want of an owner anyway).
pub(super) fn adopt_owner_names(spool: &mut dyn Store) -> Result<(), SpoolError> {
    const DONE: &str = "owner_names_adopted";
    // Once only: a uid whose account was gone then keeps rows without a
    // name (root's alone), which a later holder of the uid must not adopt.
    if spool.state(DONE)?.is_some() {
        return Ok(());
    }
    let mut complete = true;
    for uid in spool.uids_without_owner_name()? {
        match crate::system::accounts::account_of(uid) {
            Ok(Some(name)) => spool.adopt_owner_name(uid, &name)?,
            Ok(None) => {}
            Err(error) => {
                tracing::warn!("{error}: its jobs get their owner's name at the next start");
                complete = false;
            }
        }
    }
    if complete {
        spool.swap_state(DONE, "1")?;
    }
    Ok(())
}

/// Every user's crontab from the spool, as stored and parsed
/// ([`crate::scheduling::stored_crontabs::load_stored`]).
pub(super) async fn load_user_crontabs(
    spool: &SpoolHandle,
    zones: &Zones,
) -> Result<(Vec<StoredCrontab>, Vec<cron::Loaded>), DaemonError> {
    let stored = spool.crontabs().await?;
    let zones = zones.clone();
    let parsed = stored.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        crate::scheduling::stored_crontabs::load_stored(parsed, &zones)
    })
    .await
    .context("reading the users' crontabs failed")
    .map_err(DaemonError::Stopped)?;
    Ok((stored, loaded))
}

/// Whether this is the first daemon since the system booted: the boot id
/// differs from the one the spool remembers. The new id is remembered.
pub(super) async fn is_new_boot(
    spool: &SpoolHandle,
    boot_id_file: &Path,
) -> Result<bool, DaemonError> {
    let boot_id = match std::fs::read_to_string(boot_id_file) {
        Ok(text) => text.trim().to_owned(),
        Err(error) => {
            tracing::warn!(
                "cannot read the boot id from {} ({error}): @reboot entries do not run",
                boot_id_file.display()
            );
            return Ok(false);
        }
    };
    // In a fleet each host boots on its own: the key is the host's.
    let key = match spool.fleet_host().await? {
        Some(host) => format!("{BOOT_ID_KEY}@{host}"),
        None => BOOT_ID_KEY.to_owned(),
    };
    let before = spool.swap_state(key, boot_id.clone()).await?;
    Ok(before.as_deref() != Some(boot_id.as_str()))
}

/// The spool state key of the boot whose @reboot entries ran.
const BOOT_ID_KEY: &str = "boot_id";

/// Runs a previous daemon started and never saw end are recorded as lost,
/// with whatever output they left; each output file is removed only after
/// its run is recorded. A lost at job whose policy retries lost runs is
/// queued again for its next attempt; the lost runs of crontab lines are
/// returned, for the scheduler to retry those whose line asks for it once
/// the crontabs are loaded.
pub(super) async fn recover_lost_runs(
    spool: &SpoolHandle,
    clock: &Clock,
    output_dir: &Path,
    limit: u64,
    defaults: &Policy,
    metrics: &crate::metrics::Metrics,
) -> Result<Vec<RunRecord>, DaemonError> {
    let now = clock.now();
    // Made ready for an instant the previous daemon never reached: not
    // lost (they never started) but missed, as the catch-up finds them.
    let unreached = spool.drop_unreached_cron_runs().await?;
    for &run in &unreached {
        remove_output(&output::path(output_dir, run))?;
    }
    if !unreached.is_empty() {
        tracing::info!(
            runs = unreached.len(),
            "crontab runs made ready for an instant the previous daemon did not reach are dropped"
        );
    }
    let lost = spool.running_runs().await?;
    let mut cron_runs = Vec::new();
    for run in lost {
        let path = output::path(output_dir, run);
        let kept = output::read(&path, limit).unwrap_or_default();
        let record =
            crate::scheduling::lost::lose(spool, run, now, kept, defaults, metrics).await?;
        remove_output(&path)?;
        tracing::warn!(
            run = run.0,
            "a run of the previous daemon was lost: it may still be running"
        );
        cron_runs.extend(record.cron);
    }
    Ok(cron_runs)
}

/// Removes a run's output file left by the previous daemon.
fn remove_output(path: &Path) -> Result<(), DaemonError> {
    output::remove(path)
        .with_context(|| format!("cannot remove {}", path.display()))
        .map_err(DaemonError::Files)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use sched_spool::{JobKind, NewJob, Outcome, Owner, SqliteSpool, Uid};

    use super::*;

    /// Recovers the runs left in `spool` as a daemon started at `at` would.
    async fn recover_at(spool: &SpoolHandle, output_dir: &Path, at: jiff::Timestamp) {
        recover_lost_runs(
            spool,
            &Clock::mock(at),
            output_dir,
            1024,
            &Policy::default(),
            &crate::metrics::Metrics::new(at),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_run_the_previous_daemon_never_saw_end_is_recorded_lost_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let output_dir = dir.path().join("output");
        std::fs::create_dir(&output_dir).unwrap();
        let mut store = SqliteSpool::open(&dir.path().join("spool.db")).unwrap();
        let start: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        let ids = store
            .insert_jobs(&[NewJob {
                kind: JobKind::At,
                queue: 'a',
                owner_uid: Uid(1000),
                owner_gid: 1000,
                owner_name: Some("alice".to_owned()),
                due: start,
                submitted: start,
                command: "make".to_owned(),
                cwd: "/".to_owned(),
                umask: 0o022,
                env: Vec::new(),
                mail: Default::default(),
                policy: String::new(),
                attempt: 1,
                scheduled: None,
            }])
            .unwrap();
        let (_, run) = store.claim(&ids, start).unwrap().remove(0);
        store.set_started(&[(run, 4242, start)], None).unwrap();
        let mut left = output::create(&output_dir, run).unwrap();
        left.write_all(b"half done\n").unwrap();
        drop(left);
        let (spool, _ended) = SpoolHandle::start(Box::new(store)).unwrap();
        let later = start + jiff::SignedDuration::from_hours(1);
        recover_at(&spool, &output_dir, later).await;
        let runs = spool.runs(Owner::Any, None, 10).await.unwrap();
        assert_eq!(
            (runs[0].id, &runs[0].outcome, runs[0].finished),
            (run, &Outcome::Lost, Some(later))
        );
        assert_eq!(runs[0].output.head, b"half done\n");
        assert!(
            !output::path(&output_dir, run).exists(),
            "recorded, then removed"
        );
        assert!(spool.running_runs().await.unwrap().is_empty());
    }

    /// A crontab run made ready ahead of an instant the daemon never
    /// reached (due after the last instant handled, never started) is
    /// dropped with its output file; one claimed at its instant and not
    /// started is lost, as before.
    #[tokio::test]
    async fn a_run_made_ready_for_an_instant_never_reached_is_dropped_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let output_dir = dir.path().join("output");
        std::fs::create_dir(&output_dir).unwrap();
        let mut store = SqliteSpool::open(&dir.path().join("spool.db")).unwrap();
        let instant: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        let run_of = |due| sched_spool::CronRun {
            owner_uid: Uid(1000),
            owner_name: Some("alice".to_owned()),
            command: "make".to_owned(),
            origin: "crontab of alice:1".to_owned(),
            due,
            attempt: 1,
            host_local: false,
        };
        // Claimed at its instant (handled then), not started.
        let claimed = store.start_cron_runs(&[run_of(instant)], instant).unwrap()[0].unwrap();
        // Made ready 200 ms ahead of the next minute (handled: then).
        let next = instant + jiff::SignedDuration::from_mins(1);
        let ahead = store
            .start_cron_runs(
                &[run_of(next)],
                next - jiff::SignedDuration::from_millis(200),
            )
            .unwrap()[0]
            .unwrap();
        for run in [claimed, ahead] {
            drop(output::create(&output_dir, run).unwrap());
        }
        let (spool, _ended) = SpoolHandle::start(Box::new(store)).unwrap();
        let later = instant + jiff::SignedDuration::from_hours(1);
        recover_at(&spool, &output_dir, later).await;
        let runs = spool.runs(Owner::Any, None, 10).await.unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!((runs[0].id, &runs[0].outcome), (claimed, &Outcome::Lost));
        assert!(spool.running_runs().await.unwrap().is_empty());
        assert_eq!(std::fs::read_dir(&output_dir).unwrap().count(), 0);
    }
}
