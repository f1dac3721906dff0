//! Deadlines: dates by which something must be done (a withdrawal agreement ratified, a framework
//! reached), their extensions, and whether they were met.
//!
//! Rules (documented in `docs/status.md`, "Deadlines"):
//! - as of a point, a deadline is **due** on the `to` date of the latest extension granted by then
//!   (its `on` date at or before the point), else on its own `date`;
//! - it **passes** at the end of its due date (a month or a year: at the end of that period);
//! - once passed it is **met** or **missed** as stated (`met = true/false`), else, when it names an
//!   `item`, met exactly when that item was agreed at the end of the due date; otherwise it has
//!   merely **passed**. Before that it is **upcoming**.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::status::{ItemState, Record};
use crate::timeline::{Instant, Point};

/// A date by which something must be done.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Deadline {
    pub id: String,
    pub title: String,
    /// The date as first set.
    pub date: Date,
    /// What it is for, in words.
    #[serde(rename = "for")]
    pub purpose: String,
    /// The item whose agreement meets the deadline, when one does.
    pub item: Option<u32>,
    /// Whether it was met, when the record says so (it then overrides what `item` would give).
    pub met: Option<bool>,
    /// Later dates it was moved to, in the order they were granted.
    pub extensions: Vec<Extension>,
    pub source: String,
    /// The document of `item`, in a record whose documents repeat item numbers (`"DOC:N"`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub document: String,
}

/// A deadline moved to a later date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// When the extension was granted.
    pub on: Date,
    /// The new due date.
    pub to: Date,
    pub reason: String,
}

/// Where a deadline stands at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineState {
    Upcoming,
    Met,
    Missed,
    /// Passed, with no record of whether it was met.
    Passed,
}

impl DeadlineState {
    pub fn keyword(self) -> &'static str {
        match self {
            DeadlineState::Upcoming => "upcoming",
            DeadlineState::Met => "met",
            DeadlineState::Missed => "missed",
            DeadlineState::Passed => "passed",
        }
    }
}

/// A deadline as of a point.
#[derive(Clone, Debug, Serialize)]
pub struct DeadlineStatus {
    pub id: String,
    pub title: String,
    #[serde(rename = "for")]
    pub purpose: String,
    /// The date as first set.
    pub date: Date,
    /// The date it is due as of the point (after the extensions granted by then).
    pub due: Date,
    /// How many extensions were granted by the point.
    pub extensions: usize,
    pub item: Option<u32>,
    pub state: DeadlineState,
    /// The document of `item`, when the record names one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
}

/// A deadline extended within a diff's window.
#[derive(Clone, Debug, Serialize)]
pub struct DeadlineExtended {
    pub id: String,
    pub on: Date,
    pub from: Date,
    pub to: Date,
    pub reason: String,
}

impl Deadline {
    /// Whether the deadline is tied to item `number` of `document`. One recorded without a
    /// document (before documents existed) names the number in any document.
    pub fn names_item(&self, document: &str, number: u32) -> bool {
        self.item == Some(number) && (self.document.is_empty() || self.document == document)
    }

    /// Ties the deadline to no item (its item is hidden from a viewer).
    pub fn untie(&mut self) {
        self.item = None;
        self.document.clear();
    }

    /// The due date as of `at`, and how many extensions were granted by then.
    pub fn due_at(&self, at: Instant) -> (Date, usize) {
        let granted = self.extensions.iter().take_while(|extension| Instant::end_of(extension.on) <= at).count();
        let due = granted.checked_sub(1).map_or(self.date, |last| self.extensions[last].to);
        (due, granted)
    }

    /// Whether the deadline has passed at `at`: after the end of its due date as of then.
    pub fn passed_at(&self, at: Instant) -> bool {
        Instant::end_of(self.due_at(at).0) < at
    }
}

impl Record<'_> {
    /// Every deadline as of a point, in file order.
    pub fn deadlines(&self, as_of: &Point) -> Vec<DeadlineStatus> {
        let at = as_of.instant;
        self.negotiation
            .deadlines
            .iter()
            .map(|deadline| {
                let (due, extensions) = deadline.due_at(at);
                let state = if !deadline.passed_at(at) {
                    DeadlineState::Upcoming
                } else {
                    match (deadline.met, deadline.item) {
                        (Some(true), _) => DeadlineState::Met,
                        (Some(false), _) => DeadlineState::Missed,
                        (None, Some(_)) if self.item_agreed_at(deadline, Instant::end_of(due)) => DeadlineState::Met,
                        (None, Some(_)) => DeadlineState::Missed,
                        (None, None) => DeadlineState::Passed,
                    }
                };
                DeadlineStatus {
                    id: deadline.id.clone(),
                    title: deadline.title.clone(),
                    purpose: deadline.purpose.clone(),
                    date: deadline.date,
                    due,
                    extensions,
                    item: deadline.item,
                    state,
                    document: deadline.document.clone(),
                }
            })
            .collect()
    }

    /// Whether the deadline's item was agreed at `at` (a status kept with the tracks: every
    /// status after the deadline asks it).
    fn item_agreed_at(&self, deadline: &Deadline, at: Instant) -> bool {
        self.status_at(at).items.iter().any(|item| deadline.names_item(&item.document, item.number) && item.state == ItemState::Agreed)
    }

    /// The deadlines that passed, and the extensions granted, after `from` up to `to`.
    pub(crate) fn deadline_changes(&self, from: &Point, to: &Point) -> (Vec<String>, Vec<DeadlineExtended>) {
        let in_window = |instant: Instant| from.instant < instant && instant <= to.instant;
        let mut passed = Vec::new();
        let mut extended = Vec::new();
        for deadline in &self.negotiation.deadlines {
            if !deadline.passed_at(from.instant) && deadline.passed_at(to.instant) {
                passed.push(deadline.id.clone());
            }
            let mut previous = deadline.date;
            for extension in &deadline.extensions {
                if in_window(Instant::end_of(extension.on)) {
                    extended.push(DeadlineExtended {
                        id: deadline.id.clone(),
                        on: extension.on,
                        from: previous,
                        to: extension.to,
                        reason: extension.reason.clone(),
                    });
                }
                previous = extension.to;
            }
        }
        (passed, extended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn exit_day() -> Deadline {
        let extension = |on: &str, to: &str| Extension { on: day(on), to: day(to), reason: String::new() };
        Deadline {
            id: "exit".to_owned(),
            title: String::new(),
            date: day("2019-03-29"),
            purpose: String::new(),
            item: None,
            met: None,
            extensions: vec![extension("2019-03-29", "2019-04-12"), extension("2019-04-11", "2019-10-31")],
            source: String::new(),
            document: String::new(),
        }
    }

    /// Day by day, the due date is the latest one granted by then, and a deadline once passed stays
    /// passed: checked against a direct reading of the rule.
    #[test]
    fn due_dates_follow_the_extensions_granted_and_passing_is_final() {
        let deadline = exit_day();
        let mut passed = false;
        for days in day("2019-03-01").days_since_epoch()..day("2019-12-31").days_since_epoch() {
            let at = Instant::end_of(Date::from_days_since_epoch(days));
            let today = Date::from_days_since_epoch(days);
            let expected = deadline.extensions.iter().filter(|extension| extension.on <= today).map(|extension| extension.to).next_back();
            assert_eq!(deadline.due_at(at).0, expected.unwrap_or(deadline.date), "{today}");
            assert!(!passed || deadline.passed_at(at), "{today}: passed, then not");
            passed = deadline.passed_at(at);
            assert_eq!(passed, today > deadline.due_at(at).0, "{today}");
        }
        // Granted on the day it was due: it never passed then.
        assert!(!deadline.passed_at(Instant::end_of(day("2019-03-29"))));
        assert!(!deadline.passed_at(Instant::end_of(day("2019-03-30"))));
    }
}
