//! Ordering of events in time.
//!
//! Records are dated to the day, and several rounds can share a day (Geneva talks and a published
//! counter-text on 23 November). An [`Instant`] orders events totally: by day, then rounds of the
//! same day in the order the scenario lists them, then events dated only by day, which count as
//! happening at the end of that day, after its rounds.
//!
//! A date known only to the month or the year counts as the end of its last day. A round held over
//! several days (`date` to `end`) is placed on its last day: what was decided there counts from the
//! end of the talks, so an event dated inside the span, before the last day, comes before the round.

use std::collections::HashMap;

use serde::Serialize;

use crate::date::Date;
use crate::model::{Moment, Negotiation, Round};

/// A point on the negotiation's time axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    day: i64,
    sequence: u32,
}

impl Instant {
    /// Before everything in the record.
    pub const START: Instant = Instant { day: i64::MIN, sequence: 0 };
    /// After everything in the record.
    pub const END: Instant = Instant { day: i64::MAX, sequence: u32::MAX };

    /// The end of a day: after every round held on it.
    pub fn end_of(date: Date) -> Instant {
        Instant { day: date.days_since_epoch(), sequence: u32::MAX }
    }

    /// The day, unless the instant is the start or the end of the record.
    pub fn date(self) -> Option<Date> {
        if self.day == i64::MIN || self.day == i64::MAX { None } else { Some(Date::from_days_since_epoch(self.day)) }
    }
}

/// When each round happened, for resolving [`Moment`]s to [`Instant`]s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    rounds: HashMap<String, Option<Instant>>,
}

/// A point named by a user: a round id, a date, `start` or `now`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Point {
    /// What the user wrote, or `now`.
    pub label: String,
    pub date: Option<Date>,
    pub round: Option<String>,
    #[serde(skip)]
    pub instant: Instant,
}

impl Point {
    /// Everything in the record.
    pub fn now() -> Point {
        Point { label: "now".to_owned(), date: None, round: None, instant: Instant::END }
    }
}

/// Whether something drawn at `since` and dropped at `until` (if ever) holds at `at`.
pub(crate) fn in_force(since: Instant, until: Option<Instant>, at: Instant) -> bool {
    since <= at && until.is_none_or(|until| at < until)
}

/// Why a named point cannot be placed on the timeline.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    #[error("round `{0}` is planned and has no date yet")]
    Undated(String),
    #[error("`{text}` is neither a round nor a date (expected a round id{hint}, YYYY-MM-DD, YYYY-MM or YYYY)")]
    Unknown { text: String, hint: String },
    /// Written as a date, but not one that exists.
    #[error("`{text}` is not a date: {problem}")]
    NoSuchDate { text: String, problem: crate::date::DateError },
    /// Digits and dashes, but not in the form of a date.
    #[error("`{0}` is not a date (expected YYYY-MM-DD, with two digits for the month and the day, such as 2025-02-03)")]
    DateForm(String),
}

impl Timeline {
    pub fn new(rounds: &[Round]) -> Timeline {
        Timeline::of(rounds)
    }

    /// The timeline of `rounds` (some of a record's rounds, in the record's order).
    pub fn of<'r>(rounds: impl IntoIterator<Item = &'r Round>) -> Timeline {
        let rounds: Vec<&Round> = rounds.into_iter().collect();
        let mut dated: Vec<(Date, usize)> =
            rounds.iter().enumerate().filter_map(|(index, round)| round.effective_date().map(|date| (date, index))).collect();
        dated.sort();
        let mut instants: HashMap<String, Option<Instant>> = rounds.iter().map(|round| (round.id.clone(), None)).collect();
        for (rank, (date, index)) in dated.into_iter().enumerate() {
            let instant = Instant { day: date.days_since_epoch(), sequence: rank as u32 + 1 };
            instants.insert(rounds[index].id.clone(), Some(instant));
        }
        Timeline { rounds: instants }
    }

    /// When a round happened; `None` for an unknown or undated round.
    pub fn round(&self, id: &str) -> Option<Instant> {
        self.rounds.get(id).copied().flatten()
    }

    /// When a moment is. Unknown or undated rounds (which validation rejects) count as the end.
    /// Whether a red line is in force at `at`: drawn at or before it and not yet dropped.
    pub fn in_force(&self, red_line: &crate::model::RedLine, at: Instant) -> bool {
        in_force(self.moment(&red_line.since), red_line.until.as_ref().map(|until| self.moment(until)), at)
    }

    pub fn moment(&self, moment: &Moment) -> Instant {
        match moment {
            Moment::Start => Instant::START,
            Moment::Round(id) => self.round(id).unwrap_or(Instant::END),
            Moment::Date(date) => Instant::end_of(*date),
        }
    }

    /// Resolves a user's `--as-of`-style argument: a round id, a date, `start` or `now`.
    pub fn point(&self, negotiation: &Negotiation, text: &str) -> Result<Point, PointError> {
        if text == "now" || text == "latest" {
            return Ok(Point::now());
        }
        if text == "start" {
            return Ok(Point { label: text.to_owned(), date: None, round: None, instant: Instant::START });
        }
        if let Some(instant) = self.rounds.get(text) {
            let Some(instant) = *instant else {
                return Err(PointError::Undated(text.to_owned()));
            };
            // The date as written (a month stays a month), for a span its last day.
            let date = negotiation.round(text).and_then(Round::effective_date).or(instant.date());
            return Ok(Point { label: text.to_owned(), date, round: Some(text.to_owned()), instant });
        }
        match text.parse::<Date>() {
            Ok(date) => return Ok(Point { label: text.to_owned(), date: Some(date), round: None, instant: Instant::end_of(date) }),
            Err(crate::date::DateError::Format(_)) => {
                // Digits and dashes only: meant as a date, so say what a date looks like.
                if text.starts_with(|c: char| c.is_ascii_digit())
                    && text.contains('-')
                    && text.chars().all(|c| c.is_ascii_digit() || c == '-')
                {
                    return Err(PointError::DateForm(text.to_owned()));
                }
            }
            Err(problem) => return Err(PointError::NoSuchDate { text: text.to_owned(), problem }),
        }
        let ids: Vec<&str> = negotiation.rounds.iter().map(|round| round.id.as_str()).collect();
        let hint = match crate::diagnostic::suggest(text, ids.iter().copied()) {
            Some(close) => format!(" such as `{close}`"),
            None if ids.is_empty() => String::new(),
            None => format!(": {}", ids.join(", ")),
        };
        Err(PointError::Unknown { text: text.to_owned(), hint })
    }
}
