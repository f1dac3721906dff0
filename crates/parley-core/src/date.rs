//! Calendar dates (proleptic Gregorian, no time of day or zone).
//!
//! Negotiation records are dated to the day: a round, a statement and a stance happen "on" a date.
//! Older events are often known only to the month (`2013-03`) or the year (`2013`): such a date
//! stands for the whole period, is ordered at its *last* day (what had happened "in March 2013"
//! had happened by the end of March) and is written back as written. A tiny own type keeps the core
//! free of a date-time dependency and gives a total order.

use std::fmt;
use std::str::FromStr;

/// A calendar day such as `2025-11-23`, or a month (`2013-03`) or a year (`2013`) when the record
/// knows no more. A month or year is held as its last day, so it orders at the end of its period:
/// after every day of it, and (by [`Precision`]) after that last day itself.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
    precision: Precision,
}

/// How much of a [`Date`] the record knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    #[default]
    Day,
    Month,
    Year,
}

/// Why a text is not a valid date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("`{0}` is not a date (expected YYYY-MM-DD, YYYY-MM or YYYY)")]
    Format(String),
    #[error("{year}-{month:02} has no day {day} (expected 1 to {})", days_in_month(*year, *month))]
    NoSuchDay { year: i32, month: u8, day: u8 },
    #[error("month {0} does not exist (expected 1 to 12)")]
    NoSuchMonth(u8),
}

impl Date {
    /// A date from its parts, checking that the day exists.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=12).contains(&month) {
            return Err(DateError::NoSuchMonth(month));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay { year, month, day });
        }
        Ok(Date { year, month, day, precision: Precision::Day })
    }

    /// A whole month, such as `2013-03`.
    pub fn of_month(year: i32, month: u8) -> Result<Date, DateError> {
        if !(1..=12).contains(&month) {
            return Err(DateError::NoSuchMonth(month));
        }
        Ok(Date { year, month, day: days_in_month(year, month), precision: Precision::Month })
    }

    /// A whole year, such as `2013`.
    pub fn of_year(year: i32) -> Date {
        Date { year, month: 12, day: 31, precision: Precision::Year }
    }

    pub fn precision(self) -> Precision {
        self.precision
    }

    /// The first day of the period the date stands for (the day itself for a day date).
    pub fn first_day(self) -> Date {
        match self.precision {
            Precision::Day => self,
            Precision::Month => Date { year: self.year, month: self.month, day: 1, precision: Precision::Day },
            Precision::Year => Date { year: self.year, month: 1, day: 1, precision: Precision::Day },
        }
    }

    /// The last day of the period the date stands for (the day itself for a day date).
    pub fn last_day(self) -> Date {
        Date { precision: Precision::Day, ..self }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month; for a month or a year, its last day.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it) of the date's last day; used for ordering and
    /// arithmetic.
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let days = days + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day, precision: Precision::Day }
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let format_error = || DateError::Format(text.to_owned());
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &text[range];
            if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().map_err(|_| format_error()) } else { Err(format_error()) }
        };
        match bytes.len() {
            4 => Ok(Date::of_year(digits(0..4)? as i32)),
            7 if bytes[4] == b'-' => Date::of_month(digits(0..4)? as i32, digits(5..7)? as u8),
            10 if bytes[4] == b'-' && bytes[7] == b'-' => Date::new(digits(0..4)? as i32, digits(5..7)? as u8, digits(8..10)? as u8),
            _ => Err(format_error()),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            Precision::Day => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day),
            Precision::Month => write!(f, "{:04}-{:02}", self.year, self.month),
            Precision::Year => write!(f, "{:04}", self.year),
        }
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let date: Date = "2025-11-23".parse().unwrap();
        assert_eq!(date.to_string(), "2025-11-23");
        assert!("2025-02-29".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2025-13-01".parse::<Date>().is_err());
        assert!("2025-1-01".parse::<Date>().is_err());
        assert!("２０２５-11-01".parse::<Date>().is_err());
        assert!("2025-1".parse::<Date>().is_err());
        assert!("2025-13".parse::<Date>().is_err());
        assert!("2025/11".parse::<Date>().is_err());
        assert!("202".parse::<Date>().is_err());
    }

    #[test]
    fn months_and_years_print_as_written_and_order_at_their_end() {
        let month: Date = "2024-02".parse().unwrap();
        let year: Date = "2013".parse().unwrap();
        assert_eq!((month.to_string(), year.to_string()), ("2024-02".to_owned(), "2013".to_owned()));
        assert_eq!(month.precision(), Precision::Month);
        assert_eq!(month.last_day().to_string(), "2024-02-29");
        assert_eq!(month.first_day().to_string(), "2024-02-01");
        assert_eq!(year.first_day().to_string(), "2013-01-01");
        assert_eq!(month.days_since_epoch(), month.last_day().days_since_epoch());
        let last: Date = "2024-02-29".parse().unwrap();
        let march: Date = "2024-03-01".parse().unwrap();
        assert!(last < month && month < march);
        assert!("2013-12-31".parse::<Date>().unwrap() < year && year < "2014-01-01".parse::<Date>().unwrap());
        assert!("2013-12".parse::<Date>().unwrap() < year);
    }

    #[test]
    fn epoch_days_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let date = Date::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days, "{date}");
        }
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
    }
}
