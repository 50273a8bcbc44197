//! A time zone as the next-fire search needs it: the UTC offset at an
//! instant and the offset changes around it, answered from a sorted table.
//!
//! A `Zone` is built once from a `jiff::tz::TimeZone` (the daemon keeps one
//! per zone name) and answers every query with a binary search over a
//! few hundred transitions, instead of asking the tz library on every step
//! of the search. Instants outside the table's window fall back to jiff,
//! which also applies the zone's POSIX rule beyond the tzdata tables.
//! Transitions that change only the abbreviation or DST flag, not the
//! offset, are dropped: cron only sees wall-clock time.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// First and last instants (UTC seconds) covered by the precomputed table.
const TABLE_START: i64 = days_from_civil_const(1900);
const TABLE_END: i64 = days_from_civil_const(2200);

const fn days_from_civil_const(year: i64) -> i64 {
    // January 1st of `year`, in seconds; valid for years after 1600.
    let y = year - 1;
    let days = 365 * y + y / 4 - y / 100 + y / 400 - 719_162;
    days * 86_400
}

/// One change of UTC offset: from `at` on, the offset is `after` seconds;
/// just before it, it was `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub at: i64,
    pub before: i32,
    pub after: i32,
}

/// The stretch of time with one offset that contains a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub offset: i32,
    /// The transition that began this segment, if any.
    pub start: Option<Transition>,
    /// The transition that ends it, if any.
    pub end: Option<Transition>,
    /// Position in the table (segment `i` ends at transition `i`), so the
    /// following segment is found without a search.
    index: Option<usize>,
}

/// A time zone prepared for fast offset queries. Cheap to clone (the table
/// is shared).
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    transitions: std::sync::Arc<[Transition]>,
    /// Offset before the first transition of the table.
    initial_offset: i32,
    /// The first offset change at or after the table's end, if any.
    beyond_table: Option<Transition>,
}

impl Zone {
    /// Prepares `tz`, computing its offset changes from 1900 to 2200.
    pub fn new(tz: TimeZone) -> Zone {
        let start = Timestamp::from_second(TABLE_START).expect("1900 is a valid timestamp");
        let initial_offset = tz.to_offset(start).seconds();
        let mut transitions = Vec::new();
        let mut previous = initial_offset;
        for transition in tz.following(start) {
            let at = transition.timestamp().as_second();
            if at >= TABLE_END {
                break;
            }
            let after = transition.offset().seconds();
            if after != previous {
                transitions.push(Transition {
                    at,
                    before: previous,
                    after,
                });
                previous = after;
            }
        }
        let mut zone = Zone {
            tz,
            transitions: transitions.into(),
            initial_offset,
            beyond_table: None,
        };
        zone.beyond_table = zone.jiff_next(TABLE_END - 1);
        zone
    }

    /// The jiff zone this was built from.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The UTC offset in seconds in effect at `at` (UTC seconds).
    pub fn offset_at(&self, at: i64) -> i32 {
        self.segment(at).offset
    }

    /// The segment of constant offset containing `at`.
    pub(crate) fn segment(&self, at: i64) -> Segment {
        if (TABLE_START..TABLE_END).contains(&at) {
            let index = self.transitions.partition_point(|t| t.at <= at);
            let start = index.checked_sub(1).map(|i| self.transitions[i]);
            let end = self.transitions.get(index).copied().or(self.beyond_table);
            let offset = start.map_or(self.initial_offset, |t| t.after);
            Segment {
                offset,
                start,
                end,
                index: Some(index),
            }
        } else {
            Segment {
                offset: self.jiff_offset(at),
                start: self.jiff_previous(at),
                end: self.jiff_next(at),
                index: None,
            }
        }
    }

    /// The segment that begins where `segment` ends (callers check that it
    /// has an end).
    pub(crate) fn segment_after(&self, segment: &Segment) -> Segment {
        match (segment.index, segment.end) {
            (Some(index), Some(end)) if index < self.transitions.len() => Segment {
                offset: end.after,
                start: Some(end),
                end: self
                    .transitions
                    .get(index + 1)
                    .copied()
                    .or(self.beyond_table),
                index: Some(index + 1),
            },
            (_, Some(end)) => self.segment(end.at),
            (_, None) => *segment,
        }
    }

    fn jiff_offset(&self, at: i64) -> i32 {
        match Timestamp::from_second(at) {
            Ok(ts) => self.tz.to_offset(ts).seconds(),
            Err(_) => self.initial_offset,
        }
    }

    /// The first offset change strictly after `at`, from jiff.
    fn jiff_next(&self, at: i64) -> Option<Transition> {
        let ts = Timestamp::from_second(at).ok()?;
        let mut before = self.tz.to_offset(ts).seconds();
        for transition in self.tz.following(ts) {
            let after = transition.offset().seconds();
            if after != before {
                return Some(Transition {
                    at: transition.timestamp().as_second(),
                    before,
                    after,
                });
            }
            before = after;
        }
        None
    }

    /// The last offset change at or before `at`, from jiff.
    fn jiff_previous(&self, at: i64) -> Option<Transition> {
        let ts = Timestamp::from_second(at.checked_add(1)?).ok()?;
        let mut after = self.tz.to_offset(ts).seconds();
        for transition in self.tz.preceding(ts) {
            let at = transition.timestamp().as_second();
            let before = Timestamp::from_second(at - 1)
                .map(|t| self.tz.to_offset(t).seconds())
                .ok()?;
            if before != after {
                return Some(Transition { at, before, after });
            }
            after = before;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::days_from_civil;

    /// The offset changes in `[from, to)`, walked with `segment`.
    fn transitions_between(zone: &Zone, from: i64, to: i64) -> Vec<Transition> {
        let mut found = Vec::new();
        let mut at = from - 1;
        while let Some(next) = zone.segment(at).end {
            if next.at >= to {
                break;
            }
            found.push(next);
            at = next.at;
        }
        found
    }

    #[test]
    fn table_bounds_are_new_years_days() {
        assert_eq!(TABLE_START, days_from_civil(1900, 1, 1) * 86_400);
        assert_eq!(TABLE_END, days_from_civil(2200, 1, 1) * 86_400);
    }

    #[test]
    fn new_york_2026_transitions() {
        let zone = Zone::new(TimeZone::get("America/New_York").unwrap());
        let from = days_from_civil(2026, 1, 1) * 86_400;
        let to = days_from_civil(2027, 1, 1) * 86_400;
        let found = transitions_between(&zone, from, to);
        // 2026-03-08T07:00Z (02:00 EST) and 2026-11-01T06:00Z (02:00 EDT).
        assert_eq!(
            found,
            vec![
                Transition {
                    at: days_from_civil(2026, 3, 8) * 86_400 + 7 * 3600,
                    before: -5 * 3600,
                    after: -4 * 3600,
                },
                Transition {
                    at: days_from_civil(2026, 11, 1) * 86_400 + 6 * 3600,
                    before: -4 * 3600,
                    after: -5 * 3600,
                },
            ]
        );
    }

    #[test]
    fn segment_after_walks_the_table_like_a_search() {
        for name in [
            "America/New_York",
            "Australia/Lord_Howe",
            "Asia/Kolkata",
            "UTC",
        ] {
            let zone = Zone::new(TimeZone::get(name).unwrap());
            let mut segment = zone.segment(days_from_civil(1990, 1, 1) * 86_400);
            while let Some(end) = segment.end {
                if end.at > days_from_civil(2300, 1, 1) * 86_400 {
                    break;
                }
                let next = zone.segment_after(&segment);
                let searched = zone.segment(end.at);
                assert_eq!(
                    (next.offset, next.start, next.end),
                    (searched.offset, searched.start, searched.end),
                    "{name} at {}",
                    end.at
                );
                segment = next;
            }
        }
    }

    #[test]
    fn outside_the_table_agrees_with_jiff() {
        let zone = Zone::new(TimeZone::get("Europe/Berlin").unwrap());
        // July 2300 is summer time by the zone's POSIX rule.
        let july_2300 = days_from_civil(2300, 7, 1) * 86_400;
        assert_eq!(zone.offset_at(july_2300), 7200);
        let segment = zone.segment(july_2300);
        assert_eq!(segment.index, None);
        assert_eq!(segment.start.unwrap().after, 7200);
        assert_eq!(segment.end.unwrap().after, 3600);
        assert!(segment.start.unwrap().at < july_2300 && july_2300 < segment.end.unwrap().at);
    }
}
