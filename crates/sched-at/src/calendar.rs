//! The one calendar fact the grammar and `-t` check before building a
//! date: how long a month is.

use jiff::civil::Date;

/// Days in `month` (1-12) of `year`; 31 for a year jiff cannot represent
/// (such a date fails later, when it is built).
pub fn days_in_month(year: i32, month: u32) -> u32 {
    i16::try_from(year)
        .ok()
        .zip(i8::try_from(month).ok())
        .and_then(|(year, month)| Date::new(year, month, 1).ok())
        .map_or(31, |first| first.days_in_month().unsigned_abs().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years_and_month_lengths() {
        assert_eq!(
            [2000, 1900, 2028, 2027, 2100, 2400].map(|year| days_in_month(year, 2)),
            [29, 28, 29, 28, 28, 29]
        );
        assert_eq!(days_in_month(2027, 4), 30);
        assert_eq!(days_in_month(2027, 12), 31);
    }
}
