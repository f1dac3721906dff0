//! Time-phased provisions: the periods of an agreement's life ("a transition of five years, then
//! the final regime") and the values an item proposes per period (a schedule: "tariffs at most
//! 10 % until 2030, then 0").
//!
//! A negotiation declares its phases in order; each starts at entry into force, on a date, at a
//! round, or a duration after entry into force, and lasts until the next one starts (the last is
//! open-ended). An item proposes for an issue either one value, which holds in every phase, or a
//! schedule: the value of the first phase (its `proposes` value) and the values later phases
//! change it to; a phase the schedule does not name keeps the previous phase's value. A schedule
//! may end in a lapse (a sunset clause): from that phase on, the item proposes no value. A red line
//! holds in every phase unless it names the phases it is about; status, diff, claims and analysis
//! judge it phase by phase (`docs/status.md`, "Phases").
//!
//! ```
//! use parley_core::model::Value;
//! use parley_core::phase::{Phase, PhaseStart, PhaseValue, values_by_phase};
//!
//! let phases = vec![
//!     Phase { id: "transition".into(), name: String::new(), description: String::new(), starts: PhaseStart::EntryIntoForce, source: String::new() },
//!     Phase { id: "final".into(), name: String::new(), description: String::new(), starts: PhaseStart::After { amount: 5, unit: parley_core::phase::DurationUnit::Years }, source: String::new() },
//! ];
//! let changes = vec![PhaseValue { phase: "final".into(), value: Some(Value::Integer(0)) }];
//! let values = values_by_phase(&phases, &Value::Integer(10), &changes);
//! assert_eq!(values, [Some(&Value::Integer(10)), Some(&Value::Integer(0))]);
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::model::{IssueKind, Keyword, Value, keywords};

/// One period of the agreement's life, from its start to the next phase's start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub starts: PhaseStart,
    /// Where the record takes the phase from (a `[[sources]]` id or free text), as on other
    /// elements.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// When a phase starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PhaseStart {
    /// When the agreement enters into force (the default of the first phase).
    EntryIntoForce,
    /// On a calendar date (a day, a month or a year).
    Date { date: Date },
    /// At a round of the negotiation.
    Round { round: String },
    /// A duration after entry into force ("5 years").
    After { amount: u32, unit: DurationUnit },
}

/// The unit of a phase's start after entry into force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DurationUnit {
    Days,
    Weeks,
    Months,
    Years,
}

keywords!(DurationUnit { Days => "days", Weeks => "weeks", Months => "months", Years => "years" });

impl DurationUnit {
    /// Approximate days, to order durations written in different units.
    fn days(self) -> f64 {
        match self {
            DurationUnit::Days => 1.0,
            DurationUnit::Weeks => 7.0,
            DurationUnit::Months => 365.25 / 12.0,
            DurationUnit::Years => 365.25,
        }
    }
}

impl PhaseStart {
    /// Approximate days after entry into force, for starts written as durations.
    pub fn days_after_entry(&self) -> Option<f64> {
        match self {
            PhaseStart::EntryIntoForce => Some(0.0),
            PhaseStart::After { amount, unit } => Some(f64::from(*amount) * unit.days()),
            _ => None,
        }
    }

    /// The duration as written in a file: `5 years`, `1 month`.
    pub fn duration_text(amount: u32, unit: DurationUnit) -> String {
        let word = unit.keyword();
        if amount == 1 { format!("1 {}", &word[..word.len() - 1]) } else { format!("{amount} {word}") }
    }
}

impl fmt::Display for PhaseStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhaseStart::EntryIntoForce => f.write_str("entry into force"),
            PhaseStart::Date { date } => write!(f, "{date}"),
            PhaseStart::Round { round } => write!(f, "round {round}"),
            PhaseStart::After { amount, unit } => {
                write!(f, "{} after entry into force", PhaseStart::duration_text(*amount, *unit))
            }
        }
    }
}

/// The value a schedule gives an issue from a phase on; none when the provision lapses there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseValue {
    pub phase: String,
    /// `None`: the provision lapses, and the item proposes no value from this phase on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// The values an item proposes for an issue in phases after the first (whose value is the item's
/// `proposes` value), in phase order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub issue: String,
    pub changes: Vec<PhaseValue>,
}

/// A red line's verdict in one phase: `None` while an issue it names has no proposed value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseVerdict {
    pub phase: String,
    pub holds: Option<bool>,
}

/// The value in each phase, in phase order: the first value, changed by each of `changes` from
/// its phase on (none from a lapse on).
pub fn values_by_phase<'v>(phases: &[Phase], first: &'v Value, changes: &'v [PhaseValue]) -> Vec<Option<&'v Value>> {
    let mut current = Some(first);
    phases
        .iter()
        .map(|phase| {
            if let Some(change) = changes.iter().find(|change| change.phase == phase.id) {
                current = change.value.as_ref();
            }
            current
        })
        .collect()
}

/// The changes of a schedule in words, after its first value: `10 until 2030, then 0`.
/// Consecutive phases with one value are told once.
pub fn describe(phases: &[Phase], first: &Value, changes: &[PhaseValue]) -> String {
    let values = values_by_phase(phases, first, changes);
    let mut words = first.to_string();
    for (index, value) in values.iter().enumerate().skip(1) {
        if *value != values[index - 1] {
            match value {
                Some(value) => words.push_str(&format!(" until {}, then {value}", phases[index].starts)),
                None => words.push_str(&format!(" until {}, then lapses", phases[index].starts)),
            }
        }
    }
    words
}

/// The phases a red line scoped to `scope` is judged in: every phase for an empty scope.
pub fn in_scope<'p>(phases: &'p [Phase], scope: &[String]) -> impl Iterator<Item = (usize, &'p Phase)> {
    let every = scope.is_empty();
    phases.iter().enumerate().filter(move |(_, phase)| every || scope.contains(&phase.id))
}

/// Kleene conjunction of verdicts: false if any is false, unknown if any is unknown.
pub fn all_hold(verdicts: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(true);
    for verdict in verdicts {
        match verdict {
            Some(false) => return Some(false),
            None => result = None,
            Some(true) => {}
        }
    }
    result
}

/// An issue's proposed value in the first phase and its schedule's changes after it.
pub type Proposed = (Value, Vec<PhaseValue>);

/// A red line's verdict phase by phase: `value_of(issue)` gives an issue's first-phase value and
/// its schedule's changes. With no phases declared, one verdict on the single values, unnamed.
pub fn judge_red_line(
    phases: &[Phase],
    red_line: &crate::model::RedLine,
    value_of: &dyn Fn(&str) -> Option<Proposed>,
    kind_of: &dyn Fn(&str) -> Option<IssueKind>,
) -> (Option<bool>, Vec<PhaseVerdict>) {
    if phases.is_empty() {
        let single = |issue: &str| value_of(issue).map(|(value, _)| value);
        return (red_line.expr.evaluate_with(&single, kind_of), Vec::new());
    }
    let verdicts: Vec<PhaseVerdict> = in_scope(phases, &red_line.phases)
        .map(|(index, phase)| {
            let in_phase = |issue: &str| {
                value_of(issue).and_then(|(first, changes)| values_by_phase(&phases[..=index], &first, &changes)[index].cloned())
            };
            PhaseVerdict { phase: phase.id.clone(), holds: red_line.expr.evaluate_with(&in_phase, kind_of) }
        })
        .collect();
    (all_hold(verdicts.iter().map(|verdict| verdict.holds)), verdicts)
}

/// The id of the first phase, whose value a schedule's item `proposes`.
pub(crate) fn first_phase(phases: &[Phase]) -> Option<&str> {
    phases.first().map(|phase| phase.id.as_str())
}
