//! What changed between two points: revisions made, items introduced, stances changed, item
//! states changed, red lines drawn or dropped, and statements made.
//!
//! The window is half-open: events after `from` and up to and including `to`. After the net
//! changes comes the window's timeline (`happened.rs`): every event in time order, and every state
//! each item passed through.

mod happened;

use serde::Serialize;

use crate::model::{Moment, Position, Value};
use crate::status::{ItemState, Record};
use crate::timeline::Point;

pub use happened::{TimelineEntry, TimelineEvent};

#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub from: Point,
    pub to: Point,
    pub accepted_before: bool,
    pub accepted_after: bool,
    pub introduced: Vec<IntroducedItem>,
    pub revisions: Vec<RevisionChange>,
    pub stance_changes: Vec<StanceChange>,
    pub status_changes: Vec<StatusChange>,
    pub red_lines_drawn: Vec<String>,
    pub red_lines_dropped: Vec<String>,
    pub statements: Vec<String>,
    /// Documents' lifecycle events in the window (left out when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub document_events: Vec<DocumentChange>,
    /// Parties' readouts given in the window (left out when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readouts: Vec<ReadoutChange>,
    /// Deadlines whose due date passed in the window (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlines_passed: Vec<String>,
    /// Deadlines extended in the window (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlines_extended: Vec<crate::deadline::DeadlineExtended>,
    /// Everything that happened in the window, in time order, with every item state change
    /// (left out of the JSON when nothing happened).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEntry>,
}

/// A party's readout of an item given in the window.
#[derive(Clone, Debug, Serialize)]
pub struct ReadoutChange {
    pub item: u32,
    pub party: String,
    /// When: a round id or a date.
    pub at: String,
    /// Issues on which, once given, the item's readouts differ from the joint values or each other.
    pub discrepancies: Vec<String>,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct IntroducedItem {
    pub number: u32,
    pub title: String,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RevisionChange {
    pub item: u32,
    pub round: String,
    pub by: Option<String>,
    /// The version this revision produced.
    pub version: usize,
    pub new_title: Option<String>,
    pub new_text: Option<String>,
    pub values: Vec<ValueChange>,
    pub removed: bool,
    pub restored: bool,
    pub note: String,
    /// Values the revision took back, with the value each had before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<Withdrawal>,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
}

/// A proposed value taken back by a revision.
#[derive(Clone, Debug, Serialize)]
pub struct Withdrawal {
    pub issue: String,
    /// `None` when the item had no value for the issue at the time.
    pub before: Option<Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ValueChange {
    pub issue: String,
    pub before: Option<Value>,
    pub after: Value,
    /// In a record with phases: the later phases' values before (`before` is the first's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before_schedule: Vec<crate::phase::PhaseValue>,
    /// The later phases' values after (`after` is the first's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after_schedule: Vec<crate::phase::PhaseValue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StanceChange {
    pub item: u32,
    pub party: String,
    pub before: Option<Position>,
    pub after: Position,
    /// When the new stance was given.
    pub at: String,
    /// The same position restated on a newer version of the item.
    pub restated: bool,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusChange {
    pub item: u32,
    pub title: String,
    /// `None` when the item did not exist yet.
    pub before: Option<ItemState>,
    pub after: ItemState,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
}

/// A document's lifecycle event recorded in the window.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentChange {
    pub document: String,
    pub state: crate::document::DocumentState,
    /// When: a round id or a date.
    pub at: String,
    pub until: Option<crate::date::Date>,
    pub note: String,
}

/// Why a diff cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{from}` comes after `{to}` (expected FROM before TO)")]
pub struct DiffOrderError {
    pub from: String,
    pub to: String,
}

impl Record<'_> {
    /// The documents' lifecycle events recorded in a window, in time order.
    fn document_changes(&self, in_window: &impl Fn(crate::timeline::Instant) -> bool) -> Vec<DocumentChange> {
        let mut changes = Vec::new();
        for document in &self.negotiation.documents {
            for event in &document.events {
                let instant = self.timeline.moment(&event.at);
                if in_window(instant) {
                    let change = DocumentChange {
                        document: document.id.clone(),
                        state: event.state,
                        at: Record::moment_label(&event.at),
                        until: event.until,
                        note: event.note.clone(),
                    };
                    changes.push((instant, change));
                }
            }
        }
        // Stable: events at one instant keep the documents' order.
        changes.sort_by_key(|(instant, _)| *instant);
        changes.into_iter().map(|(_, change)| change).collect()
    }

    /// The readouts given in a window, in item order, each with the issues the item's readouts
    /// disagree on at the end of the window.
    fn readout_changes(&self, in_window: &impl Fn(crate::timeline::Instant) -> bool, to: crate::timeline::Instant) -> Vec<ReadoutChange> {
        let mut changes = Vec::new();
        for (index, item) in self.negotiation.items.iter().enumerate() {
            for readout in &item.readouts {
                if !in_window(self.timeline.moment(&readout.at)) {
                    continue;
                }
                // The item's discrepancies at the end of the window, as its status has them.
                let discrepancies = if self.introduced_by(index, to) {
                    let current = self.item_at(index, self.version_at(index, to));
                    self.readouts_status(index, to, &current).1.into_iter().map(|found| found.issue).collect()
                } else {
                    Vec::new()
                };
                changes.push(ReadoutChange {
                    item: item.number,
                    party: readout.party.clone(),
                    at: Record::moment_label(&readout.at),
                    discrepancies,
                    document: item.document.clone(),
                });
            }
        }
        changes
    }

    pub fn diff(&self, from: &Point, to: &Point) -> Result<Diff, DiffOrderError> {
        if from.instant > to.instant {
            return Err(DiffOrderError { from: from.label.clone(), to: to.label.clone() });
        }
        let negotiation = self.negotiation;
        let in_window = |instant| from.instant < instant && instant <= to.instant;
        // The states alone, not two full statuses: on a large record building them would cost
        // more than the rest of the diff.
        let states = self.net_states(from, to);

        let mut introduced = Vec::new();
        let mut revisions = Vec::new();
        let mut stance_changes = Vec::new();
        for (index, item) in negotiation.items.iter().enumerate() {
            let introduced_at = self.timeline.moment(&item.introduced);
            if in_window(introduced_at) {
                introduced.push(IntroducedItem { number: item.number, title: item.title.clone(), document: item.document.clone() });
            }
            for (offset, revision) in item.revisions.iter().enumerate() {
                let instant = self.timeline.moment(&Moment::Round(revision.round.clone()));
                if !in_window(instant) {
                    continue;
                }
                let previous = self.item_at(index, offset);
                let values = revision
                    .proposes
                    .iter()
                    .filter_map(|(issue, value)| {
                        let before = previous.proposes.iter().find(|(proposed, _)| proposed == issue).map(|(_, value)| value.clone());
                        let schedule = |schedules: &[crate::phase::Schedule]| {
                            schedules
                                .iter()
                                .find(|schedule| schedule.issue == *issue)
                                .map(|schedule| schedule.changes.clone())
                                .unwrap_or_default()
                        };
                        let (before_schedule, after_schedule) = (schedule(&previous.schedules), schedule(&revision.schedules));
                        (before.as_ref() != Some(value) || before_schedule != after_schedule).then(|| ValueChange {
                            issue: issue.clone(),
                            before,
                            after: value.clone(),
                            before_schedule,
                            after_schedule,
                        })
                    })
                    .collect();
                revisions.push(RevisionChange {
                    item: item.number,
                    round: revision.round.clone(),
                    by: revision.by.clone(),
                    version: offset + 1,
                    new_title: revision.title.clone(),
                    new_text: revision.text.clone(),
                    values,
                    removed: revision.removed,
                    restored: revision.restored,
                    note: revision.note.clone(),
                    withdrawn: revision
                        .withdraws
                        .iter()
                        .map(|issue| Withdrawal {
                            issue: issue.clone(),
                            before: previous.proposes.iter().find(|(proposed, _)| proposed == issue).map(|(_, value)| value.clone()),
                        })
                        .collect(),
                    document: item.document.clone(),
                });
            }
            for party in &negotiation.parties {
                let Some((after_at, after_index)) = self.stance_at(index, &party.id, to.instant) else { continue };
                if !in_window(after_at) {
                    continue;
                }
                let before_stance = self.stance_at(index, &party.id, from.instant);
                let before_position = before_stance.map(|(_, stance)| negotiation.stances[stance].position);
                let after_stance = &negotiation.stances[after_index];
                let restated = before_position == Some(after_stance.position);
                if restated {
                    // The same words again only matter when they cover a newer version.
                    let before_version = before_stance.map_or(0, |(instant, stance)| self.stance_version(index, instant, stance));
                    if self.stance_version(index, after_at, after_index) == before_version {
                        continue;
                    }
                }
                stance_changes.push(StanceChange {
                    item: item.number,
                    party: party.id.clone(),
                    before: before_position,
                    after: after_stance.position,
                    at: Record::moment_label(&after_stance.at),
                    restated,
                    document: item.document.clone(),
                });
            }
        }

        let status_changes = negotiation
            .items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let (previous, state) = (states.before[index], states.after[index]?);
                (previous != Some(state)).then(|| StatusChange {
                    item: item.number,
                    title: self.item_at(index, self.version_at(index, to.instant)).title.to_owned(),
                    before: previous,
                    after: state,
                    document: item.document.clone(),
                })
            })
            .collect();

        let mut red_lines_drawn = Vec::new();
        let mut red_lines_dropped = Vec::new();
        for (index, red_line) in negotiation.red_lines.iter().enumerate() {
            let was = self.red_line_in_force(index, from.instant);
            let is = self.red_line_in_force(index, to.instant);
            if !was && is {
                red_lines_drawn.push(red_line.id.clone());
            } else if was && !is {
                red_lines_dropped.push(red_line.id.clone());
            }
        }
        let statements = self
            .statements_in_order()
            .into_iter()
            .filter(|(instant, _)| in_window(*instant))
            .map(|(_, statement)| statement.id.clone())
            .collect();
        let (deadlines_passed, deadlines_extended) = self.deadline_changes(from, to);

        Ok(Diff {
            from: from.clone(),
            to: to.clone(),
            accepted_before: states.accepted_before,
            accepted_after: states.accepted_after,
            introduced,
            revisions,
            stance_changes,
            status_changes,
            red_lines_drawn,
            red_lines_dropped,
            statements,
            document_events: self.document_changes(&in_window),
            readouts: self.readout_changes(&in_window, to.instant),
            deadlines_passed,
            deadlines_extended,
            timeline: self.window_timeline(from, to),
        })
    }
}
