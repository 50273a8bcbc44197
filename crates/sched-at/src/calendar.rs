//! The one calendar fact the grammar and `-t` need before jiff is
//! involved: how long a month is.

/// Days in `month` (1-12) of `year`, proleptic Gregorian.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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
