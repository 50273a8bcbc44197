//! Next fire instant of a schedule in a zone, with cron(8)'s DST rules.
//!
//! The search runs on wall-clock minutes, jumping field by field over the
//! bitsets (month, then day, then hour, then minute), and maps wall times
//! to instants one segment of constant UTC offset at a time. A schedule
//! fires at:
//! - every instant whose wall time matches, except that a *fixed-time* job
//!   (see [`Schedule::is_wildcard`]) skips the second pass of a repeated
//!   hour;
//! - for a fixed-time job, the instant of a forward jump when a skipped
//!   wall time matches: the job runs once, right after the jump (several
//!   skipped times, or a skipped time plus a regular one at the jump
//!   instant, are one instant).
//!
//! As cron(8) says, only offset changes of less than three hours get this
//! treatment. A larger change is a correction of the clock or the zone:
//! skipped wall times are lost and repeated ones run again, for every job.

use jiff::Timestamp;

use crate::civil::{civil_from_days, days_from_civil, days_in_month, weekday};
use crate::schedule::{Schedule, Spec};
use crate::zone::{Segment, Transition, Zone};

/// Offset changes at least this large are clock corrections, not DST.
const DST_LIMIT_SECONDS: i32 = 3 * 3600;

/// No schedule is searched past the end of this year (jiff's limit).
const LAST_YEAR: i32 = 9999;

const MINUTES_PER_DAY: i64 = 1440;

impl Schedule {
    /// The first instant strictly after `after` at which the schedule fires
    /// in `zone`, or `None` for `@reboot` and past the year 9999.
    pub fn next_after(&self, zone: &Zone, after: Timestamp) -> Option<Timestamp> {
        let spec = self.spec()?;
        // Whole seconds, rounded down (as_second truncates toward zero,
        // which is up for fractional instants before 1970).
        let after_second = after.as_second() - i64::from(after.subsec_nanosecond() < 0);
        let at = spec.next_after(zone, after_second)?;
        Timestamp::from_second(at).ok()
    }

    /// The fire instants strictly after `after`, in ascending order.
    pub fn iter_after<'a>(
        &'a self,
        zone: &'a Zone,
        after: Timestamp,
    ) -> impl Iterator<Item = Timestamp> + 'a {
        let mut cursor = after;
        std::iter::from_fn(move || {
            let next = self.next_after(zone, cursor)?;
            cursor = next;
            Some(next)
        })
    }

    /// Whether the wall time `year-month-day hour:minute` matches all five
    /// fields (no DST rule applied). Used by reference tests.
    pub fn matches_wall_time(
        &self,
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
    ) -> bool {
        let Some(spec) = self.spec() else {
            return false;
        };
        let valid = (1..=LAST_YEAR).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60;
        if !valid {
            return false;
        }
        let minute_of_day = i64::from(hour * 60 + minute);
        let wall = days_from_civil(year, month, day) * MINUTES_PER_DAY + minute_of_day;
        spec.next_wall_minute(wall) == Some(wall)
    }
}

/// `ceil(seconds / 60)`: the first whole minute at or after `seconds`.
fn ceil_minute(seconds: i64) -> i64 {
    seconds.div_euclid(60) + i64::from(seconds.rem_euclid(60) != 0)
}

fn is_dst_change(transition: &Transition) -> bool {
    (transition.after - transition.before).abs() < DST_LIMIT_SECONDS
}

/// Remembers the last wall search: no wall minute in `[from, found)`
/// matches and `found` does. As the search hops from one offset segment to
/// the next (twice a year in most zones), most lookups fall inside that
/// range and need no new search: a yearly schedule does not repeat a
/// multi-year scan at every DST change on the way.
struct WallSearch<'a> {
    spec: &'a Spec,
    known: Option<(i64, i64)>,
}

impl WallSearch<'_> {
    fn first_match_from(&mut self, from: i64) -> Option<i64> {
        if let Some((known_from, found)) = self.known
            && (known_from..=found).contains(&from)
        {
            return Some(found);
        }
        let found = self.spec.next_wall_minute(from)?;
        self.known = Some((from, found));
        Some(found)
    }

    /// Whether a fixed-time job has a wall time inside the forward jump
    /// `transition`, so it runs at the jump instant.
    fn fires_in_gap(&mut self, transition: &Transition) -> bool {
        if !self.spec.fixed_time()
            || transition.after <= transition.before
            || !is_dst_change(transition)
        {
            return false;
        }
        let gap_start = transition.at + i64::from(transition.before);
        let gap_end = transition.at + i64::from(transition.after);
        self.first_match_from(ceil_minute(gap_start))
            .is_some_and(|wall| wall * 60 < gap_end)
    }
}

impl Spec {
    /// Next fire instant (UTC seconds) strictly after `after`.
    pub(crate) fn next_after(&self, zone: &Zone, after: i64) -> Option<i64> {
        let mut search = WallSearch {
            spec: self,
            known: None,
        };
        // Inclusive lower bound for the instants still to be considered.
        let mut from = after.checked_add(1)?;
        let mut segment: Segment = zone.segment(from);
        loop {
            if let Some(start) = segment.start
                && start.at == from
                && search.fires_in_gap(&start)
            {
                return Some(from);
            }
            let offset = i64::from(segment.offset);
            let wall = search.first_match_from(ceil_minute(from + offset))?;
            let at = wall * 60 - offset;
            if let Some(end) = segment.end
                && at >= end.at
            {
                from = end.at;
                segment = zone.segment_after(&segment);
                continue;
            }
            if let Some(start) = segment.start {
                // Second pass of a repeated hour: the wall time already
                // occurred before `start`, at the earlier offset.
                let repeated_until = start.at + i64::from(start.before) - offset;
                if self.fixed_time()
                    && start.before > start.after
                    && is_dst_change(&start)
                    && at < repeated_until
                {
                    from = repeated_until;
                    segment = zone.segment(from);
                    continue;
                }
            }
            return Some(at);
        }
    }

    /// The first wall-clock minute (minutes since 1970-01-01T00:00 wall
    /// time) at or after `from` that matches all fields.
    pub(crate) fn next_wall_minute(&self, from: i64) -> Option<i64> {
        let days = from.div_euclid(MINUTES_PER_DAY);
        let minute_of_day = from.rem_euclid(MINUTES_PER_DAY) as u32;
        let (mut year, mut month, mut day) = civil_from_days(days);
        let mut hour = minute_of_day / 60;
        let mut minute = minute_of_day % 60;
        loop {
            if year > LAST_YEAR {
                return None;
            }
            // Month.
            if self.months() & (1 << month) == 0 {
                match next_bit(u64::from(self.months()), month) {
                    Some(next) => month = next,
                    None => {
                        year += 1;
                        month = next_bit(u64::from(self.months()), 1)?;
                    }
                }
                (day, hour, minute) = (1, 0, 0);
            }
            // Day, by the day rule, within the month's length.
            let days = self.matching_days(year, month);
            match next_bit(u64::from(days), day) {
                Some(next) if next != day => (day, hour, minute) = (next, 0, 0),
                Some(_) => {}
                None => {
                    (day, hour, minute) = (1, 0, 0);
                    month += 1;
                    if month > 12 {
                        (year, month) = (year + 1, 1);
                    }
                    continue;
                }
            }
            // Hour.
            match next_bit(u64::from(self.hours), hour) {
                Some(next) if next != hour => (hour, minute) = (next, 0),
                Some(_) => {}
                None => {
                    // Past the month's end, the day lookup above moves on
                    // to the next month.
                    (day, hour, minute) = (day + 1, 0, 0);
                    continue;
                }
            }
            // Minute.
            match next_bit(self.minutes(), minute) {
                Some(next) => {
                    let day_number = days_from_civil(year, month, day);
                    return Some(day_number * MINUTES_PER_DAY + i64::from(hour * 60 + next));
                }
                // Hour 24 finds no hour bit, which moves on to the next day.
                None => (hour, minute) = (hour + 1, 0),
            }
        }
    }

    /// Days of `year-month` (bits 1–31) that match the day fields.
    fn matching_days(&self, year: i32, month: u32) -> u32 {
        let length = days_in_month(year, month);
        let in_month = ((1u64 << (length + 1)) - 2) as u32;
        if self.days_must_match_both() && self.days_of_month & in_month == 0 {
            // Feb 29 in a common year: no need to work out weekdays.
            return 0;
        }
        let first_weekday = weekday(days_from_civil(year, month, 1));
        let by_weekday = self.weekday_days(first_weekday);
        let days = if self.days_must_match_both() {
            self.days_of_month & by_weekday
        } else {
            self.days_of_month | by_weekday
        };
        days & in_month
    }
}

/// The lowest set bit of `bits` at position `from` or above.
fn next_bit(bits: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = bits >> from;
    (rest != 0).then(|| from + rest.trailing_zeros())
}
