//! What owners and root asked of crontab entries (`sched pause`, `sched
//! skip`).

use rusqlite::params;

use crate::records::{from_micros, to_micros};
use crate::{ControlMark, EntryControl, SpoolError, SqliteSpool, Uid};

/// One row as read, before its values are checked.
type Row = (
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

impl SqliteSpool {
    /// Every entry control kept, by entry.
    pub fn entry_controls(&self) -> Result<Vec<EntryControl>, SpoolError> {
        let rows: Vec<Row> = self
            .conn
            .prepare_cached(
                "SELECT entry, origin, owner_uid, paused_by, paused_at, skip_through, skip_by,
                        skip_at
                 FROM entry_controls ORDER BY entry",
            )
            .and_then(|mut select| {
                select
                    .query_map([], |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                            row.get(6)?,
                            row.get(7)?,
                        ))
                    })?
                    .collect()
            })
            .map_err(|e| self.error(e))?;
        rows.into_iter()
            .enumerate()
            .map(|(index, row)| self.control(index, row))
            .collect()
    }

    fn control(&self, index: usize, row: Row) -> Result<EntryControl, SpoolError> {
        let (entry, origin, uid, paused_by, paused_at, skip_through, skip_by, skip_at) = row;
        let bad = |detail: &str| SpoolError::BadRow {
            path: self.path.clone(),
            table: "entry_controls",
            id: index as i64,
            detail: format!("{detail} (entry {entry:?})"),
        };
        let instant = |micros: i64| from_micros(micros).ok_or_else(|| bad("instant out of range"));
        let paused = match (paused_by, paused_at) {
            (Some(by), Some(at)) => Some(ControlMark {
                by,
                at: instant(at)?,
            }),
            (None, None) => None,
            _ => return Err(bad("a pause without its author or instant")),
        };
        let skip_through = match (skip_through, skip_by, skip_at) {
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
        let owner_uid = u32::try_from(uid)
            .map(Uid)
            .map_err(|_| bad("uid out of range"))?;
        Ok(EntryControl {
            entry,
            origin,
            owner_uid,
            host_local: false,
            paused,
            skip_through,
        })
    }

    /// Keeps each of `controls` in place of the one of the same entry, in
    /// one transaction; an empty one removes it.
    pub fn set_entry_controls(&mut self, controls: &[EntryControl]) -> Result<(), SpoolError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        for control in controls {
            let result = if control.is_empty() {
                tx.execute(
                    "DELETE FROM entry_controls WHERE entry = ?1",
                    params![control.entry],
                )
            } else {
                let paused = control.paused.as_ref();
                let skip = control.skip_through.as_ref();
                tx.execute(
                    "INSERT OR REPLACE INTO entry_controls
                         (entry, origin, owner_uid, paused_by, paused_at, skip_through, skip_by,
                          skip_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        control.entry,
                        control.origin,
                        control.owner_uid,
                        paused.map(|mark| &mark.by),
                        paused.map(|mark| to_micros(mark.at)),
                        skip.map(|(through, _)| to_micros(*through)),
                        skip.map(|(_, mark)| &mark.by),
                        skip.map(|(_, mark)| to_micros(mark.at)),
                    ],
                )
            };
            result.map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))
    }
}
