//! What changed between two points: revisions made, items introduced, stances changed, item
//! states changed, red lines drawn or dropped, and statements made.
//!
//! The window is half-open: events after `from` and up to and including `to`.

use serde::Serialize;

use crate::model::{Moment, Position, Value};
use crate::status::{ItemState, Record};
use crate::timeline::Point;

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
    /// Deadlines whose due date passed in the window (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlines_passed: Vec<String>,
    /// Deadlines extended in the window (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlines_extended: Vec<crate::deadline::DeadlineExtended>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IntroducedItem {
    pub number: u32,
    pub title: String,
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
}

#[derive(Clone, Debug, Serialize)]
pub struct ValueChange {
    pub issue: String,
    pub before: Option<Value>,
    pub after: Value,
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
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusChange {
    pub item: u32,
    pub title: String,
    /// `None` when the item did not exist yet.
    pub before: Option<ItemState>,
    pub after: ItemState,
}

/// Why a diff cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{from}` comes after `{to}` (expected FROM before TO)")]
pub struct DiffOrderError {
    pub from: String,
    pub to: String,
}

impl Record<'_> {
    pub fn diff(&self, from: &Point, to: &Point) -> Result<Diff, DiffOrderError> {
        if from.instant > to.instant {
            return Err(DiffOrderError { from: from.label.clone(), to: to.label.clone() });
        }
        let negotiation = self.negotiation;
        let in_window = |instant| from.instant < instant && instant <= to.instant;
        let before = self.status(from);
        let after = self.status(to);

        let mut introduced = Vec::new();
        let mut revisions = Vec::new();
        let mut stance_changes = Vec::new();
        for (index, item) in negotiation.items.iter().enumerate() {
            let introduced_at = self.timeline.moment(&item.introduced);
            if in_window(introduced_at) {
                introduced.push(IntroducedItem { number: item.number, title: item.title.clone() });
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
                        (before.as_ref() != Some(value)).then(|| ValueChange { issue: issue.clone(), before, after: value.clone() })
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
                    let before_version = before_stance.map_or(0, |(instant, _)| self.version_at(index, instant));
                    if self.version_at(index, after_at) == before_version {
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
                });
            }
        }

        let status_changes = after
            .items
            .iter()
            .filter_map(|item| {
                let previous = before.items.iter().find(|old| old.number == item.number).map(|old| old.state);
                (previous != Some(item.state)).then(|| StatusChange {
                    item: item.number,
                    title: item.title.clone(),
                    before: previous,
                    after: item.state,
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
            accepted_before: before.framework.accepted,
            accepted_after: after.framework.accepted,
            introduced,
            revisions,
            stance_changes,
            status_changes,
            red_lines_drawn,
            red_lines_dropped,
            statements,
            deadlines_passed,
            deadlines_extended,
        })
    }
}
