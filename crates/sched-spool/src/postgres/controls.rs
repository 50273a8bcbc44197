//! What owners and root asked of crontab entries (`sched pause`, `sched
//! skip`): the fleet's for users' crontab lines, this host's for its own
//! files' lines. Each change bumps the crontabs' version, so that every
//! host reads the controls again with the crontabs.

use postgres::Row;

use super::PgSpool;
use super::error::Fail;
use super::rows;
use crate::records::to_micros;
use crate::{ControlMark, EntryControl, SpoolError};

/// The fleet's controls and this host's (`$1`).
const CONTROLS: &str = "SELECT entry, origin, owner_uid, paused_by, paused_at, skip_through,
        skip_by, skip_at, host <> '' FROM schedd.entry_controls
    WHERE host = '' OR host = $1 ORDER BY entry, host";

const SET: &str = "INSERT INTO schedd.entry_controls
        (host, entry, origin, owner_uid, paused_by, paused_at, skip_through, skip_by, skip_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (host, entry) DO UPDATE SET origin = excluded.origin,
        owner_uid = excluded.owner_uid, paused_by = excluded.paused_by,
        paused_at = excluded.paused_at, skip_through = excluded.skip_through,
        skip_by = excluded.skip_by, skip_at = excluded.skip_at";

const REMOVE: &str = "DELETE FROM schedd.entry_controls WHERE host = $1 AND entry = $2";

const BUMP_VERSION: &str = "UPDATE schedd.meta SET value = (value::bigint + 1)::text
    WHERE key = 'crontabs_version'";

impl PgSpool {
    pub(crate) fn entry_controls(&self) -> Result<Vec<EntryControl>, SpoolError> {
        self.with(|session| {
            let rows = session.query(CONTROLS, &[&self.options.host])?;
            rows.iter()
                .enumerate()
                .map(|(index, row)| self.control(index, row))
                .collect()
        })
    }

    fn control(&self, index: usize, row: &Row) -> Result<EntryControl, Fail> {
        let entry: String = row.try_get(0)?;
        let bad = |detail: &str| rows::bad_row(&self.path, "entry_controls", index as i64, detail);
        let instant = |micros: i64| {
            crate::records::from_micros(micros).ok_or_else(|| bad("instant out of range"))
        };
        let paused = match (row.try_get::<_, Option<String>>(3)?, row.try_get(4)?) {
            (Some(by), Some(at)) => Some(ControlMark {
                by,
                at: instant(at)?,
            }),
            (None, None) => None,
            _ => return Err(bad("a pause without its author or instant")),
        };
        let skip_through = match (
            row.try_get::<_, Option<i64>>(5)?,
            row.try_get::<_, Option<String>>(6)?,
            row.try_get::<_, Option<i64>>(7)?,
        ) {
            (Some(through), Some(by), Some(at)) => Some((
                instant(through)?,
                ControlMark {
                    by,
                    at: instant(at)?,
                },
            )),
            (None, None, None) => None,
            _ => return Err(bad("a skip without its instant, author or time")),
        };
        let uid: i64 = row.try_get(2)?;
        Ok(EntryControl {
            entry,
            origin: row.try_get(1)?,
            owner_uid: u32::try_from(uid)
                .map(crate::Uid)
                .map_err(|_| bad("uid out of range"))?,
            host_local: row.try_get(8)?,
            paused,
            skip_through,
        })
    }

    pub(crate) fn set_entry_controls(
        &mut self,
        controls: &[EntryControl],
    ) -> Result<(), SpoolError> {
        self.write(|session| {
            for control in controls {
                let host = if control.host_local {
                    self.options.host.as_str()
                } else {
                    ""
                };
                if control.is_empty() {
                    session.execute(REMOVE, &[&host, &control.entry])?;
                    continue;
                }
                let paused = control.paused.as_ref();
                let skip = control.skip_through.as_ref();
                session.execute(
                    SET,
                    &[
                        &host,
                        &control.entry,
                        &control.origin,
                        &i64::from(control.owner_uid.0),
                        &paused.map(|mark| mark.by.as_str()),
                        &paused.map(|mark| to_micros(mark.at)),
                        &skip.map(|(through, _)| to_micros(*through)),
                        &skip.map(|(_, mark)| mark.by.as_str()),
                        &skip.map(|(_, mark)| to_micros(mark.at)),
                    ],
                )?;
            }
            session.execute(BUMP_VERSION, &[])?;
            Ok(())
        })
    }
}
