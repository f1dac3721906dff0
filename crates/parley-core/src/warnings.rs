//! Warnings about a record that is readable but says something odd of itself: a party that accepts
//! an item whose proposed values break one of its own red lines.
//!
//! In `status` they are computed from the status itself, so on the viewer's view: a red line the
//! viewer may not see never shows in one. [`Record::acceptances_against_own_red_lines`] looks over
//! the whole history, for `check`.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::diagnostic::{Diagnostic, LineIndex, Severity};
use crate::model::Position;
use crate::scenario::Scenario;
use crate::status::{ItemState, ItemStatus, Record, RedLineCheck};
use crate::timeline::Instant;

/// Something a status shows that its reader should look at twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StatusWarning {
    /// A party accepts the current version of an item whose proposed values break a red line of
    /// the same party that is in force.
    AcceptsAgainstOwnRedLine {
        party: String,
        item: u32,
        /// The item's document, in a record with documents.
        #[serde(skip_serializing_if = "String::is_empty")]
        document: String,
        /// The version accepted, which is the item's current one.
        version: usize,
        /// When the acceptance was given: a round id or a date.
        since: String,
        red_line: String,
        expression: String,
    },
}

impl StatusWarning {
    /// The warning in words, naming items as the rest of the record's output does: by document
    /// only when `negotiation` has several.
    pub fn describe(&self, negotiation: &crate::model::Negotiation) -> String {
        match self {
            StatusWarning::AcceptsAgainstOwnRedLine { party, item, document, version, since, red_line, expression } => {
                let item = crate::document::item_label(document, *item, negotiation.has_several_documents());
                format!(
                    "{party} accepts item {item} (version {version}, since {since}) although it breaks {party}'s own red line \
                     {red_line} ({expression})"
                )
            }
        }
    }
}

fn accepting(position: Position) -> bool {
    matches!(position, Position::Accepts | Position::AcceptsWithReservations)
}

/// The warnings of a status, from its items and its red lines in force.
pub(crate) fn status_warnings(items: &[ItemStatus], red_lines: &[RedLineCheck]) -> Vec<StatusWarning> {
    let mut warnings = Vec::new();
    for item in items.iter().filter(|item| item.state != ItemState::Removed) {
        // A stale acceptance covers an earlier version, not the values proposed now.
        for stance in item.stances.iter().filter(|stance| accepting(stance.position) && !stance.stale) {
            let broken = red_lines
                .iter()
                .filter(|check| check.party == stance.party && check.holds == Some(false) && check.concerns(&item.document, item.number));
            for check in broken {
                warnings.push(StatusWarning::AcceptsAgainstOwnRedLine {
                    party: stance.party.clone(),
                    item: item.number,
                    document: item.document.clone(),
                    version: item.version,
                    since: stance.since.clone(),
                    red_line: check.id.clone(),
                    expression: check.expression.clone(),
                });
            }
        }
    }
    warnings
}

impl Record<'_> {
    /// Every acceptance that at some point broke a red line of its own party, once per party,
    /// item, version and red line, with the index of the acceptance in `negotiation.stances`.
    ///
    /// The proposed values, the red lines in force and the stances only change at a stance, an
    /// item's introduction, a revision or a red line's drawing, so those instants are all there is
    /// to look at.
    pub fn acceptances_against_own_red_lines(&self) -> Vec<(usize, StatusWarning)> {
        let negotiation = self.negotiation;
        let parties: HashSet<&str> = negotiation.red_lines.iter().map(|red_line| red_line.party.as_str()).collect();
        if parties.is_empty() {
            return Vec::new();
        }
        let mut instants: Vec<Instant> = negotiation
            .stances
            .iter()
            .filter(|stance| accepting(stance.position) && parties.contains(stance.party.as_str()))
            .map(|stance| self.timeline.moment(&stance.at))
            .chain(negotiation.items.iter().map(|item| self.timeline.moment(&item.introduced)))
            .chain(
                negotiation
                    .items
                    .iter()
                    .flat_map(|item| &item.revisions)
                    .map(|revision| self.timeline.round(&revision.round).unwrap_or(Instant::END)),
            )
            .chain(negotiation.red_lines.iter().map(|red_line| self.timeline.moment(&red_line.since)))
            .collect();
        instants.sort_unstable();
        instants.dedup();
        // By document and number: item N of one document is not item N of another.
        let item_index: HashMap<(&str, u32), usize> =
            negotiation.items.iter().enumerate().map(|(index, item)| ((item.document.as_str(), item.number), index)).collect();
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        for at in instants {
            let proposed = self.proposed_at(at);
            for index in (0..negotiation.red_lines.len()).filter(|&index| self.red_line_in_force(index, at)) {
                let check = self.check_red_line(index, &proposed);
                if check.holds != Some(false) {
                    continue;
                }
                for (position, number) in check.items.iter().enumerate() {
                    let document = check.documents.get(position).map_or("", String::as_str);
                    let Some(&item) = item_index.get(&(document, *number)) else { continue };
                    let Some((given_at, stance_index)) = self.stance_at(item, &check.party, at) else { continue };
                    let stance = &negotiation.stances[stance_index];
                    let version = self.version_at(item, at);
                    // The version the stance was given on (its own `version` when it names one), as status
                    // reads it.
                    if !accepting(stance.position) || self.stance_version(item, given_at, stance_index) != version {
                        continue;
                    }
                    if !seen.insert((stance_index, version, index)) {
                        continue;
                    }
                    let warning = StatusWarning::AcceptsAgainstOwnRedLine {
                        party: check.party.clone(),
                        item: *number,
                        document: document.to_owned(),
                        version,
                        since: Record::moment_label(&stance.at),
                        red_line: check.id.clone(),
                        expression: check.expression.clone(),
                    };
                    found.push((stance_index, warning));
                }
            }
        }
        found
    }
}

/// The warnings `check` adds to a scenario read without errors, each at the `position` of the
/// acceptance it is about.
pub fn scenario_warnings(text: &str, scenario: &Scenario) -> Vec<Diagnostic> {
    let record = Record::new(&scenario.negotiation);
    let lines = LineIndex::new(text);
    record
        .acceptances_against_own_red_lines()
        .into_iter()
        .map(|(stance, warning)| {
            let (path, span) = scenario.stance_positions.get(stance).cloned().unwrap_or_default();
            lines.diagnostic(Severity::Warning, path, Some(span), warning.describe(&scenario.negotiation))
        })
        .collect()
}
