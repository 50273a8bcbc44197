//! Users' crontabs, owners' names, and the daemons' small key-value state.
//! Every installation or removal bumps the crontabs' version in the same
//! transaction, after locking the crontab's row (installations and
//! removals of one uid lock in the same order, and the counter's row lock
//! orders the versions as the commits are).

use jiff::Timestamp;
use postgres::Row;

use super::PgSpool;
use super::error::Fail;
use super::rows;
use crate::records::{from_micros, to_micros};
use crate::{CrontabInstall, SpoolError, StoredCrontab, Uid};

const CRONTAB: &str =
    "SELECT owner_uid, text, installed, owner_name FROM schedd.crontabs WHERE owner_uid = $1";

const CRONTABS: &str =
    "SELECT owner_uid, text, installed, owner_name FROM schedd.crontabs ORDER BY owner_uid";

const LOCK_CRONTAB: &str = "SELECT owner_name FROM schedd.crontabs WHERE owner_uid = $1 FOR UPDATE";

/// Bumps the crontabs' version and returns it.
const BUMP_VERSION: &str = "UPDATE schedd.meta SET value = (value::bigint + 1)::text
    WHERE key = 'crontabs_version' RETURNING value::bigint";

const CRONTABS_VERSION: &str =
    "SELECT value::bigint FROM schedd.meta WHERE key = 'crontabs_version'";

const INSTALL: &str =
    "INSERT INTO schedd.crontabs (owner_uid, text, installed, owner_name, version)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (owner_uid) DO UPDATE SET text = excluded.text, installed = excluded.installed,
        owner_name = excluded.owner_name, version = excluded.version";

const REMOVE: &str = "DELETE FROM schedd.crontabs
    WHERE owner_uid = $1 AND ($2::text IS NULL OR owner_name = $2)";

const ADOPT_OWNER_NAME: &str = "WITH jobs AS (
        UPDATE schedd.jobs SET owner_name = $2 WHERE owner_uid = $1 AND owner_name IS NULL
    ), crontabs AS (
        UPDATE schedd.crontabs SET owner_name = $2 WHERE owner_uid = $1 AND owner_name IS NULL
    )
    UPDATE schedd.runs SET owner_name = $2 WHERE owner_uid = $1 AND owner_name IS NULL";

const UIDS_WITHOUT_OWNER_NAME: &str = "SELECT owner_uid FROM schedd.jobs WHERE owner_name IS NULL
    UNION SELECT owner_uid FROM schedd.crontabs WHERE owner_name IS NULL
    UNION SELECT owner_uid FROM schedd.runs WHERE owner_name IS NULL
    ORDER BY 1";

const STATE: &str = "SELECT value FROM schedd.state WHERE key = $1";

const LOCK_STATE: &str = "SELECT value FROM schedd.state WHERE key = $1 FOR UPDATE";

pub(crate) const SET_STATE: &str = "INSERT INTO schedd.state (key, value) VALUES ($1, $2)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value";

impl PgSpool {
    pub(crate) fn crontab(&self, uid: Uid) -> Result<Option<StoredCrontab>, SpoolError> {
        self.with(|session| {
            session
                .query_opt(CRONTAB, &[&i64::from(uid.0)])?
                .map(|row| self.stored(&row))
                .transpose()
        })
    }

    pub(crate) fn crontabs(&self) -> Result<Vec<StoredCrontab>, SpoolError> {
        self.with(|session| {
            let rows = session.query(CRONTABS, &[])?;
            rows.iter().map(|row| self.stored(row)).collect()
        })
    }

    fn stored(&self, row: &Row) -> Result<StoredCrontab, Fail> {
        let uid: i64 = row.try_get(0)?;
        let installed = from_micros(row.try_get(2)?).ok_or_else(|| {
            Fail::Spool(SpoolError::BadRow {
                path: self.path.clone(),
                table: "crontabs",
                id: uid,
                detail: "instant out of range".to_owned(),
            })
        })?;
        Ok(StoredCrontab {
            owner_uid: rows::uid(&self.path, "crontabs", uid, uid)?,
            owner_name: row.try_get(3)?,
            text: row.try_get(1)?,
            installed,
        })
    }

    pub(crate) fn install_crontab(
        &mut self,
        uid: Uid,
        name: Option<&str>,
        text: &str,
        now: Timestamp,
        replace_any: bool,
    ) -> Result<CrontabInstall, SpoolError> {
        let uid = i64::from(uid.0);
        self.write(|session| {
            let holder = session
                .query_opt(LOCK_CRONTAB, &[&uid])?
                .map(|row| row.try_get::<_, Option<String>>(0))
                .transpose()?;
            if !replace_any
                && let Some(holder) = holder
                && holder.as_deref() != name
            {
                return Ok(CrontabInstall::HeldBy(holder));
            }
            let version: i64 = session.query_one(BUMP_VERSION, &[])?.try_get(0)?;
            session.execute(INSTALL, &[&uid, &text, &to_micros(now), &name, &version])?;
            Ok(CrontabInstall::Installed)
        })
    }

    pub(crate) fn remove_crontab(
        &mut self,
        uid: Uid,
        only_of: Option<&str>,
    ) -> Result<bool, SpoolError> {
        self.write(|session| {
            let removed = session.execute(REMOVE, &[&i64::from(uid.0), &only_of])? > 0;
            if removed {
                session.query_one(BUMP_VERSION, &[])?;
            }
            Ok(removed)
        })
    }

    pub(crate) fn crontabs_version(&self) -> Result<i64, SpoolError> {
        self.with(|session| Ok(session.query_one(CRONTABS_VERSION, &[])?.try_get(0)?))
    }

    pub(crate) fn adopt_owner_name(&mut self, uid: Uid, name: &str) -> Result<(), SpoolError> {
        self.write(|session| {
            session.execute(ADOPT_OWNER_NAME, &[&i64::from(uid.0), &name])?;
            Ok(())
        })
    }

    pub(crate) fn uids_without_owner_name(&self) -> Result<Vec<Uid>, SpoolError> {
        let uids: Vec<i64> = self.with(|session| {
            session
                .query(UIDS_WITHOUT_OWNER_NAME, &[])?
                .iter()
                .map(|row| Ok(row.try_get(0)?))
                .collect()
        })?;
        Ok(uids
            .into_iter()
            .filter_map(|uid| u32::try_from(uid).ok().map(Uid))
            .collect())
    }

    pub(crate) fn state(&self, key: &str) -> Result<Option<String>, SpoolError> {
        self.with(|session| {
            Ok(session
                .query_opt(STATE, &[&key])?
                .map(|row| row.try_get(0))
                .transpose()?)
        })
    }

    pub(crate) fn swap_state(
        &mut self,
        key: &str,
        value: &str,
    ) -> Result<Option<String>, SpoolError> {
        self.write(|session| {
            let old: Option<String> = session
                .query_opt(LOCK_STATE, &[&key])?
                .map(|row| row.try_get(0))
                .transpose()?;
            // The same value again (a restart within one boot): nothing to
            // write.
            if old.as_deref() != Some(value) {
                session.execute(SET_STATE, &[&key, &value])?;
            }
            Ok(old)
        })
    }
}
