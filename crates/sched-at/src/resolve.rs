//! From a parsed specification to an instant, step by step as at(1)'s
//! `parsetime` does it on a `struct tm`, so that every quirk it keeps on
//! purpose comes out the same (lib.rs lists them), with wall-clock and
//! elapsed arithmetic kept apart where at mixes them up around DST.
//!
//! at's order of work: start from now's wall time (seconds dropped); the
//! time sets hour and minute; the date sets or moves the day; the `+`/`-`
//! shift moves by elapsed minutes or hours, or by wall-clock days, weeks,
//! months or years; then a time of day that is already past today moves to
//! tomorrow, and a month and day already past this year (no year written)
//! move to next year; last, anything before now is refused.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::calendar::days_in_month;
use crate::error::{TimespecError, TimespecErrorKind};
use crate::parser::{Base, Date, Spec, TimeOfDay};
use crate::{Notice, Resolution, Unit};

/// Resolves `spec` against `now` in `zone` (UTC when the time said `utc`).
pub fn resolve(spec: &Spec, now: Timestamp, zone: &TimeZone) -> Result<Resolution, TimespecError> {
    let utc = matches!(
        spec.base,
        Base::Time(TimeOfDay { utc: true, .. }) | Base::TimeDate(TimeOfDay { utc: true, .. }, _)
    );
    let mut work = Work::new(now, zone, utc)?;
    let mut time_only = false;
    let mut year_given = false;
    match spec.base {
        Base::Now => {
            work.state = State::Instant(work.now);
            year_given = true;
        }
        Base::Time(time) => {
            work.set_time(time);
            time_only = true;
        }
        Base::TimeDate(time, date) => {
            work.set_time(time);
            year_given = work.apply_date(date)?;
        }
        Base::Date(date) => year_given = work.apply_date(date)?,
    }
    if let Some(shift) = spec.shift {
        work.shift(shift.count, shift.unit)?;
        if !matches!(shift.unit, Unit::Minute | Unit::Hour) {
            time_only = false;
        }
    }
    let mut fields = work.fields();
    let today = work.today;
    if time_only {
        // A time of day that is not later than now today means tomorrow.
        // (at compares only the day of the month here, so `10:00 + 744
        // hours` can skip a day; we compare the whole date.)
        let is_today =
            (fields.year, fields.month, fields.day) == (today.year, today.month, today.day);
        if is_today && !utc && (fields.hour, fields.minute) <= (today.hour, today.minute) {
            work.add_days(1)?;
        }
        // at compares a UTC time of day with the local one, so it can
        // schedule a day late or refuse a future time (also when `+ N
        // hours` has moved the UTC date on); and a wall time shown twice
        // can be past although its fields are later. Decide by the
        // instants, a day at a time: a UTC time on the local date is at
        // most two days behind now, so two steps are enough.
        if is_today || utc {
            for _ in 0..2 {
                let at = work.instant()?;
                if at > work.now || (at == work.now && !utc) {
                    break;
                }
                work.add_days(1)?;
            }
        }
    } else if !year_given
        && fields.year == today.year
        && (fields.month, fields.day) < (today.month, today.day)
    {
        // A month and day already past this year mean next year.
        fields.year += 1;
        work.state = State::Wall(fields);
    }
    let instant = work.instant()?;
    if instant < work.now {
        return Err(TimespecError::new(
            1,
            TimespecErrorKind::Past {
                resolved: instant.to_zoned_datetime(work.local.clone()),
                now: work.now.to_zoned_datetime(work.local.clone()),
            },
        ));
    }
    // A skipped wall time noted on the way matters only if the result is
    // on that day (`02:30 + 1 hour`), not after a move to tomorrow.
    let day = work.zone.to_datetime(instant).date();
    let mut notices = work.notices;
    notices.retain(|notice| match notice {
        Notice::Skipped { became, .. } => became.date() == day,
        Notice::RolledOver { .. } => true,
    });
    Ok(Resolution { instant, notices })
}

/// at's `struct tm` while it is being worked on: fields may run past their
/// ranges (hour 24, minute 60, February 30) until [`Work::settle`]
/// normalises them as `mktime` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
}

impl From<DateTime> for Fields {
    fn from(dt: DateTime) -> Self {
        Self {
            year: dt.year().into(),
            month: dt.month().into(),
            day: dt.day().into(),
            hour: dt.hour().into(),
            minute: dt.minute().into(),
        }
    }
}

/// Where the work stands: wall-clock fields, or an exact instant after an
/// elapsed shift (kept as an instant so a result in the second pass of a
/// repeated hour stays there).
#[derive(Debug, Clone, Copy)]
enum State {
    Wall(Fields),
    Instant(Timestamp),
}

struct Work {
    /// The zone of the user: what "today" is, and how results print.
    local: TimeZone,
    /// The zone the fields are wall time in: UTC after a time followed by
    /// `utc` (the date is still the local one, as in at), else `local`.
    zone: TimeZone,
    /// Now with its seconds dropped: at works in whole minutes.
    now: Timestamp,
    /// Now's wall time in `local`.
    today: Fields,
    state: State,
    notices: Vec<Notice>,
}

impl Work {
    fn new(now: Timestamp, local: &TimeZone, utc: bool) -> Result<Self, TimespecError> {
        let wall = local.to_datetime(now);
        let into_minute = SignedDuration::new(wall.second().into(), wall.subsec_nanosecond());
        let now = now.checked_sub(into_minute).map_err(|_| out_of_range())?;
        let today = Fields::from(local.to_datetime(now));
        Ok(Self {
            local: local.clone(),
            zone: if utc { TimeZone::UTC } else { local.clone() },
            now,
            today,
            state: State::Wall(today),
            notices: Vec::new(),
        })
    }

    fn fields(&self) -> Fields {
        match self.state {
            State::Wall(fields) => fields,
            State::Instant(at) => Fields::from(self.zone.to_datetime(at)),
        }
    }

    fn set_time(&mut self, time: TimeOfDay) {
        let mut fields = self.fields();
        fields.hour = time.hour.into();
        fields.minute = time.minute.into();
        self.state = State::Wall(fields);
    }

    /// Applies a date; true if it named the year.
    fn apply_date(&mut self, date: Date) -> Result<bool, TimespecError> {
        match date {
            Date::Calendar { year, month, day } => {
                let mut fields = self.fields();
                fields.month = month.into();
                fields.day = day.into();
                if let Some(year) = year {
                    fields.year = year.into();
                }
                self.state = State::Wall(fields);
                return Ok(year.is_some());
            }
            Date::Weekday(weekday) => {
                // The next such day, 1 to 7 days on: today's own name means
                // a week from today, as in at.
                let today = self.weekday_today();
                self.add_days((6 + i64::from(weekday) - today).rem_euclid(7) + 1)?;
            }
            Date::Today => {}
            Date::Tomorrow => self.add_days(1)?,
            Date::Next(unit) => self.shift(1, unit)?,
        }
        Ok(false)
    }

    fn weekday_today(&self) -> i64 {
        let today = self.local.to_datetime(self.now);
        today.weekday().to_sunday_zero_offset().into()
    }

    /// `+ count unit`: minutes and hours are elapsed time; days and weeks
    /// keep the wall-clock time; months and years change those fields and
    /// roll a day past the month's end over, month first and then year,
    /// as at does.
    fn shift(&mut self, count: i64, unit: Unit) -> Result<(), TimespecError> {
        match unit {
            Unit::Minute | Unit::Hour => {
                let seconds = if unit == Unit::Minute { 60 } else { 3600 };
                let from = self.instant()?;
                let span = count.checked_mul(seconds).ok_or_else(out_of_range)?;
                let to = from
                    .checked_add(SignedDuration::from_secs(span))
                    .map_err(|_| out_of_range())?;
                self.state = State::Instant(to);
            }
            Unit::Day => self.add_days(count)?,
            Unit::Week => self.add_days(count * 7)?,
            Unit::Month => {
                let mut fields = self.fields();
                let month0 = fields.month - 1 + count;
                fields.month = month0.rem_euclid(12) + 1;
                let years = month0.div_euclid(12);
                let mut fields = self.settle(fields)?;
                if years != 0 {
                    fields.year += years;
                    fields = self.settle(fields)?;
                }
                self.state = State::Wall(fields);
            }
            Unit::Year => {
                let mut fields = self.fields();
                fields.year += count;
                self.state = State::Wall(self.settle(fields)?);
            }
        }
        Ok(())
    }

    fn add_days(&mut self, days: i64) -> Result<(), TimespecError> {
        let fields = self.settle(self.fields())?;
        let span = days
            .checked_mul(24)
            .and_then(SignedDuration::try_from_hours)
            .ok_or_else(out_of_range)?;
        let wall = to_datetime(fields)?
            .checked_add(span)
            .map_err(|_| out_of_range())?;
        self.state = State::Wall(Fields::from(wall));
        Ok(())
    }

    /// Normalises fields as `mktime` does: minute 60 is the next hour,
    /// hour 24 the next day, a day past the month's end the next month
    /// (noted, since the date as written does not exist).
    fn settle(&mut self, fields: Fields) -> Result<Fields, TimespecError> {
        let year = i32::try_from(fields.year).map_err(|_| out_of_range())?;
        let month = u32::try_from(fields.month).map_err(|_| out_of_range())?;
        let days = i64::from(days_in_month(year, month));
        let settled = Fields::from(to_datetime(fields)?);
        if fields.day > days {
            self.notices.push(Notice::RolledOver {
                year,
                month,
                day: u32::try_from(fields.day).map_err(|_| out_of_range())?,
                became: format!(
                    "{:04}-{:02}-{:02}",
                    settled.year, settled.month, settled.day
                ),
            });
        }
        Ok(settled)
    }

    /// The instant the work stands at. A wall time that the clock skips
    /// (DST gap) moves forward by the gap, as `mktime` moves it; one that
    /// the clock shows twice means its first pass, or its second if only
    /// the first is already past.
    fn instant(&mut self) -> Result<Timestamp, TimespecError> {
        let fields = match self.state {
            State::Instant(at) => return Ok(at),
            State::Wall(fields) => self.settle(fields)?,
        };
        let wall = to_datetime(fields)?;
        let at = wall_to_instant(&self.zone, wall, self.now, &mut self.notices)?;
        self.state = State::Instant(at);
        Ok(at)
    }
}

/// The instant at which `zone`'s clock shows `wall`: in a gap, `wall` moved
/// forward by the gap's length (noted); in a fold, the first pass, unless
/// only the second is not before `now`.
pub(crate) fn wall_to_instant(
    zone: &TimeZone,
    wall: DateTime,
    now: Timestamp,
    notices: &mut Vec<Notice>,
) -> Result<Timestamp, TimespecError> {
    let convert = |offset: jiff::tz::Offset| offset.to_timestamp(wall).map_err(|_| out_of_range());
    match zone.to_ambiguous_timestamp(wall).offset() {
        AmbiguousOffset::Unambiguous { offset } => convert(offset),
        AmbiguousOffset::Gap { before, .. } => {
            let at = convert(before)?;
            notices.push(Notice::Skipped {
                wall: wall.strftime("%Y-%m-%d %H:%M").to_string(),
                zone: zone_name(zone),
                became: at.to_zoned_datetime(zone.clone()),
            });
            Ok(at)
        }
        AmbiguousOffset::Fold { before, after } => {
            let (first, second) = (convert(before)?, convert(after)?);
            Ok(if first < now && second >= now {
                second
            } else {
                first
            })
        }
    }
}

pub(crate) fn zone_name(zone: &TimeZone) -> String {
    zone.iana_name().unwrap_or("the local time zone").to_owned()
}

/// Settled fields as a civil date and time (which must exist in the
/// proleptic Gregorian calendar up to the year 9999).
fn to_datetime(fields: Fields) -> Result<DateTime, TimespecError> {
    let year = i16::try_from(fields.year).map_err(|_| out_of_range())?;
    let month = i8::try_from(fields.month).map_err(|_| out_of_range())?;
    let into_month = (fields.day - 1)
        .checked_mul(24 * 60)
        .and_then(|m| m.checked_add(fields.hour.checked_mul(60)?))
        .and_then(|m| m.checked_add(fields.minute))
        .and_then(SignedDuration::try_from_mins)
        .ok_or_else(out_of_range)?;
    DateTime::new(year, month, 1, 0, 0, 0, 0)
        .and_then(|first| first.checked_add(into_month))
        .map_err(|_| out_of_range())
}

fn out_of_range() -> TimespecError {
    TimespecError::new(1, TimespecErrorKind::OutOfRange)
}
