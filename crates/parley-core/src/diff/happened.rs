//! What happened inside a diff's window, in time order: the events themselves, and every state
//! an item passed through, not only the net change between the window's ends.
//!
//! An item's state can change only at an event of its own (introduction, revision, a stance on
//! it) or when a red line that could block it changes verdict (drawn, dropped, or the values of
//! the issues it names revised). So each item is judged only at those instants, with binary
//! searches over the [`Record`]'s indexes, rather than by a full status per event.

use std::collections::HashMap;

use serde::Serialize;

use crate::date::Date;
use crate::model::{Moment, Position, Value};
use crate::status::{ItemState, PartyStance, Record, RedLineCheck};
use crate::timeline::{Instant, Point};

/// One thing that happened in the window.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    /// When: a round id or a date.
    pub at: String,
    /// The day it happened on, when known.
    pub date: Option<Date>,
    #[serde(flatten)]
    pub event: TimelineEvent,
    #[serde(skip)]
    pub instant: Instant,
}

/// What happened, by kind (the JSON `kind` field).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TimelineEvent {
    /// A round was held.
    Round {
        round: String,
        title: String,
    },
    /// An item entered the framework.
    Introduced {
        item: u32,
        title: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        document: String,
    },
    /// A revision made a new version of an item.
    Revision {
        item: u32,
        version: usize,
        by: Option<String>,
        #[serde(skip_serializing_if = "String::is_empty")]
        document: String,
    },
    /// A party's stance on an item changed (or was restated on a newer version).
    Stance {
        item: u32,
        party: String,
        before: Option<Position>,
        after: Position,
        /// The bloc whose stance this is, when the party did not give its own.
        #[serde(skip_serializing_if = "Option::is_none")]
        via: Option<String>,
        #[serde(skip_serializing_if = "String::is_empty")]
        document: String,
    },
    /// An item's state changed; `before` is `None` when the item did not exist yet.
    State {
        item: u32,
        before: Option<ItemState>,
        after: ItemState,
        #[serde(skip_serializing_if = "String::is_empty")]
        document: String,
    },
    RedLineDrawn {
        red_line: String,
        party: String,
    },
    RedLineDropped {
        red_line: String,
        party: String,
    },
    /// A statement was made.
    Statement {
        statement: String,
        speaker: String,
        party: Option<String>,
    },
    /// A document's lifecycle event.
    Document {
        document: String,
        state: crate::document::DocumentState,
    },
    /// A party gave its readout of an item.
    Readout {
        item: u32,
        party: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        document: String,
    },
    /// A deadline was moved from one due date to another.
    DeadlineExtended {
        deadline: String,
        from: Date,
        to: Date,
    },
    /// A deadline's due date passed (`at` is the due date).
    DeadlinePassed {
        deadline: String,
    },
}

impl TimelineEvent {
    /// Order among events at the same instant: what happened before what it caused.
    fn rank(&self) -> u8 {
        match self {
            TimelineEvent::Round { .. } => 0,
            TimelineEvent::Introduced { .. } => 1,
            TimelineEvent::Revision { .. } => 2,
            TimelineEvent::RedLineDrawn { .. } | TimelineEvent::RedLineDropped { .. } => 3,
            TimelineEvent::Stance { .. } => 4,
            TimelineEvent::Readout { .. } => 5,
            TimelineEvent::Document { .. } => 6,
            TimelineEvent::Statement { .. } => 7,
            TimelineEvent::DeadlineExtended { .. } => 8,
            TimelineEvent::DeadlinePassed { .. } => 9,
            TimelineEvent::State { .. } => 10,
        }
    }
}

/// A red line's verdict over the window: from each instant on, whether it is in force and
/// broken by the framework's values.
struct Verdicts {
    points: Vec<(Instant, bool)>,
}

impl Verdicts {
    fn broken_at(&self, at: Instant) -> bool {
        let count = self.points.partition_point(|(instant, _)| *instant <= at);
        count.checked_sub(1).is_some_and(|last| self.points[last].1)
    }
}

impl Record<'_> {
    /// Every event after `from` up to `to`, in time order, with every item state change.
    pub(crate) fn window_timeline(&self, from: &Point, to: &Point) -> Vec<TimelineEntry> {
        let in_window = |instant: Instant| from.instant < instant && instant <= to.instant;
        let mut entries = Vec::new();
        self.round_entries(&in_window, &mut entries);
        self.item_entries(&in_window, &mut entries);
        self.other_entries(&in_window, from, to, &mut entries);
        let verdicts = self.red_line_verdicts(from, to);
        let labels: HashMap<Instant, (String, Option<Date>)> =
            entries.iter().map(|entry| (entry.instant, (entry.at.clone(), entry.date))).collect();
        self.state_entries(from, to, &verdicts, &labels, &mut entries);
        // Stable: events of one kind at one instant keep the order they were collected in.
        entries.sort_by_key(|entry| (entry.instant, entry.event.rank()));
        entries
    }

    /// The label and date of a moment, as entries show them.
    fn entry_at(&self, moment: &Moment) -> (String, Option<Date>) {
        let date = match moment {
            Moment::Start => None,
            Moment::Round(id) => self.negotiation.round(id).and_then(crate::model::Round::effective_date),
            Moment::Date(date) => Some(*date),
        };
        (Record::moment_label(moment), date)
    }

    fn round_entries(&self, in_window: &impl Fn(Instant) -> bool, entries: &mut Vec<TimelineEntry>) {
        for round in &self.negotiation.rounds {
            let Some(instant) = self.timeline.round(&round.id) else { continue };
            if in_window(instant) {
                let (at, date) = self.entry_at(&Moment::Round(round.id.clone()));
                let event = TimelineEvent::Round { round: round.id.clone(), title: round.title.clone() };
                entries.push(TimelineEntry { at, date, event, instant });
            }
        }
    }

    /// Items introduced, revisions, stance changes and readouts.
    fn item_entries(&self, in_window: &impl Fn(Instant) -> bool, entries: &mut Vec<TimelineEntry>) {
        let negotiation = self.negotiation;
        for (index, item) in negotiation.items.iter().enumerate() {
            let document = || item.document.clone();
            let (introduced, revisions) = self.item_instants(index);
            if in_window(introduced) {
                let (at, date) = self.entry_at(&item.introduced);
                let event = TimelineEvent::Introduced { item: item.number, title: item.title.clone(), document: document() };
                entries.push(TimelineEntry { at, date, event, instant: introduced });
            }
            for (offset, (revision, &instant)) in item.revisions.iter().zip(revisions).enumerate() {
                if in_window(instant) {
                    let (at, date) = self.entry_at(&Moment::Round(revision.round.clone()));
                    let event =
                        TimelineEvent::Revision { item: item.number, version: offset + 1, by: revision.by.clone(), document: document() };
                    entries.push(TimelineEntry { at, date, event, instant });
                }
            }
            for (party_index, party) in negotiation.parties.iter().enumerate() {
                let stances = self.party_stances(index, party_index);
                for (position, &(instant, stance_index)) in stances.iter().enumerate() {
                    if !in_window(instant) {
                        continue;
                    }
                    let stance = &negotiation.stances[stance_index];
                    let previous = position.checked_sub(1).map(|last| stances[last]);
                    let before = previous.map(|(_, previous)| negotiation.stances[previous].position);
                    if before == Some(stance.position) {
                        // The same words again only matter when they cover a newer version.
                        let (given_at, previous) = previous.expect("a position before");
                        if self.stance_version(index, given_at, previous) == self.stance_version(index, instant, stance_index) {
                            continue;
                        }
                    }
                    let (at, date) = self.entry_at(&stance.at);
                    let via = (stance.party != party.id).then(|| stance.party.clone());
                    let event = TimelineEvent::Stance {
                        item: item.number,
                        party: party.id.clone(),
                        before,
                        after: stance.position,
                        via,
                        document: document(),
                    };
                    entries.push(TimelineEntry { at, date, event, instant });
                }
            }
            for readout in &item.readouts {
                let instant = self.timeline.moment(&readout.at);
                if in_window(instant) {
                    let (at, date) = self.entry_at(&readout.at);
                    let event = TimelineEvent::Readout { item: item.number, party: readout.party.clone(), document: document() };
                    entries.push(TimelineEntry { at, date, event, instant });
                }
            }
        }
    }

    /// Red lines drawn and dropped, statements, documents' events and deadlines.
    fn other_entries(&self, in_window: &impl Fn(Instant) -> bool, from: &Point, to: &Point, entries: &mut Vec<TimelineEntry>) {
        let negotiation = self.negotiation;
        for red_line in &negotiation.red_lines {
            let since = self.timeline.moment(&red_line.since);
            if in_window(since) {
                let (at, date) = self.entry_at(&red_line.since);
                let event = TimelineEvent::RedLineDrawn { red_line: red_line.id.clone(), party: red_line.party.clone() };
                entries.push(TimelineEntry { at, date, event, instant: since });
            }
            if let Some(until) = &red_line.until {
                let instant = self.timeline.moment(until);
                if in_window(instant) {
                    let (at, date) = self.entry_at(until);
                    let event = TimelineEvent::RedLineDropped { red_line: red_line.id.clone(), party: red_line.party.clone() };
                    entries.push(TimelineEntry { at, date, event, instant });
                }
            }
        }
        for (instant, statement) in self.statements_in_order() {
            if in_window(instant) {
                // Its round, unless it was made on an earlier day of a round held over several.
                let at = match &statement.round {
                    Some(round) if self.timeline.round(round) == Some(instant) => round.clone(),
                    _ => statement.date.to_string(),
                };
                let event = TimelineEvent::Statement {
                    statement: statement.id.clone(),
                    speaker: statement.speaker.clone(),
                    party: statement.party.clone(),
                };
                entries.push(TimelineEntry { at, date: Some(statement.date), event, instant });
            }
        }
        for document in &negotiation.documents {
            for event in &document.events {
                let instant = self.timeline.moment(&event.at);
                if in_window(instant) {
                    let (at, date) = self.entry_at(&event.at);
                    let event = TimelineEvent::Document { document: document.id.clone(), state: event.state };
                    entries.push(TimelineEntry { at, date, event, instant });
                }
            }
        }
        let (passed, extended) = self.deadline_changes(from, to);
        for extension in extended {
            let event = TimelineEvent::DeadlineExtended { deadline: extension.id, from: extension.from, to: extension.to };
            let instant = Instant::end_of(extension.on);
            entries.push(TimelineEntry { at: extension.on.to_string(), date: Some(extension.on), event, instant });
        }
        for id in passed {
            let Some(deadline) = negotiation.deadlines.iter().find(|deadline| deadline.id == id) else { continue };
            let due = deadline.due_at(to.instant).0;
            // It passes at the end of its due day, after everything dated that day.
            let event = TimelineEvent::DeadlinePassed { deadline: id };
            entries.push(TimelineEntry { at: due.to_string(), date: Some(due), event, instant: Instant::end_of(due) });
        }
    }

    /// For each red line whose party signs: whether it is in force and broken, from `from` and
    /// at each instant in the window where that can change (drawn, dropped, or a value of an
    /// issue it names proposed, revised or withdrawn).
    fn red_line_verdicts(&self, from: &Point, to: &Point) -> Vec<Option<Verdicts>> {
        let negotiation = self.negotiation;
        let proposers = self.proposers();
        negotiation
            .red_lines
            .iter()
            .enumerate()
            .map(|(index, red_line)| {
                if !negotiation.holder_signs(&red_line.party) {
                    return None;
                }
                let mut instants = vec![self.timeline.moment(&red_line.since)];
                instants.extend(red_line.until.as_ref().map(|until| self.timeline.moment(until)));
                for issue in red_line.expr.issues() {
                    for &item in proposers.get(issue).map_or(&[][..], Vec::as_slice) {
                        let (introduced, revisions) = self.item_instants(item);
                        instants.push(introduced);
                        instants.extend_from_slice(revisions);
                    }
                }
                instants.retain(|instant| from.instant < *instant && *instant <= to.instant);
                instants.sort_unstable();
                instants.dedup();
                let mut points = vec![(from.instant, self.broken_at(index, from.instant, &proposers))];
                for instant in instants {
                    let broken = self.broken_at(index, instant, &proposers);
                    if points.last().is_some_and(|(_, last)| *last != broken) {
                        points.push((instant, broken));
                    }
                }
                Some(Verdicts { points })
            })
            .collect()
    }

    /// Issue → the items that propose a value for it in some version, in item order.
    fn proposers(&self) -> HashMap<&str, Vec<usize>> {
        let mut proposers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, item) in self.negotiation.items.iter().enumerate() {
            let mut issues: Vec<&str> = item.proposes.iter().map(|(issue, _)| issue.as_str()).collect();
            for revision in &item.revisions {
                issues.extend(revision.proposes.iter().map(|(issue, _)| issue.as_str()));
            }
            issues.sort_unstable();
            issues.dedup();
            for issue in issues {
                proposers.entry(issue).or_default().push(index);
            }
        }
        proposers
    }

    /// Whether red line `index` is in force at `at` and the framework's values then break it.
    fn broken_at(&self, index: usize, at: Instant, proposers: &HashMap<&str, Vec<usize>>) -> bool {
        if !self.red_line_in_force(index, at) {
            return false;
        }
        let negotiation = self.negotiation;
        // The framework's value of an issue: that of the first item (in item order) proposing one,
        // as `Record::proposed_at` gives it.
        let value_of = |issue: &str| -> Option<Value> {
            proposers.get(issue)?.iter().find_map(|&item| {
                if !self.introduced_by(item, at) {
                    return None;
                }
                let version = self.item_at(item, self.version_at(item, at));
                if version.removed {
                    return None;
                }
                version.proposes.into_iter().find(|(proposed, _)| proposed == issue).map(|(_, value)| value)
            })
        };
        let kind_of = |issue: &str| negotiation.issue(issue).map(|issue| issue.kind.clone());
        negotiation.red_lines[index].expr.evaluate_with(&value_of, &kind_of) == Some(false)
    }

    /// Every change of an item's state in the window.
    fn state_entries(
        &self,
        from: &Point,
        to: &Point,
        verdicts: &[Option<Verdicts>],
        labels: &HashMap<Instant, (String, Option<Date>)>,
        entries: &mut Vec<TimelineEntry>,
    ) {
        let negotiation = self.negotiation;
        let mut red_lines_of_issue: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, red_line) in negotiation.red_lines.iter().enumerate() {
            if verdicts[index].is_some() {
                for issue in red_line.expr.issues() {
                    red_lines_of_issue.entry(issue).or_default().push(index);
                }
            }
        }
        let rounds: HashMap<Instant, &str> =
            negotiation.rounds.iter().filter_map(|round| Some((self.timeline.round(&round.id)?, round.id.as_str()))).collect();
        for (index, item) in negotiation.items.iter().enumerate() {
            // The red lines that could block the item: those naming an issue it ever proposes.
            let mut red_lines: Vec<usize> = item
                .proposes
                .iter()
                .chain(item.revisions.iter().flat_map(|revision| revision.proposes.iter()))
                .flat_map(|(issue, _)| red_lines_of_issue.get(issue.as_str()).map_or(&[][..], Vec::as_slice))
                .copied()
                .collect();
            red_lines.sort_unstable();
            red_lines.dedup();
            let (introduced, revisions) = self.item_instants(index);
            let mut instants = vec![introduced];
            instants.extend_from_slice(revisions);
            for party in 0..negotiation.parties.len() {
                instants.extend(self.party_stances(index, party).iter().map(|(instant, _)| *instant));
            }
            for &red_line in &red_lines {
                if let Some(verdicts) = &verdicts[red_line] {
                    instants.extend(verdicts.points.iter().skip(1).map(|(instant, _)| *instant));
                }
            }
            instants.retain(|instant| from.instant < *instant && *instant <= to.instant);
            instants.sort_unstable();
            instants.dedup();
            let mut state = self.item_state_at(index, from.instant, &red_lines, verdicts);
            for instant in instants {
                let next = self.item_state_at(index, instant, &red_lines, verdicts);
                if next == state {
                    continue;
                }
                let Some(after) = next else { continue };
                let (at, date) = labels.get(&instant).cloned().unwrap_or_else(|| match rounds.get(&instant) {
                    Some(round) => self.entry_at(&Moment::Round((*round).to_owned())),
                    None => (instant.date().map_or_else(|| "start".to_owned(), |date| date.to_string()), instant.date()),
                });
                let event = TimelineEvent::State { item: item.number, before: state, after, document: item.document.clone() };
                entries.push(TimelineEntry { at, date, event, instant });
                state = next;
            }
        }
    }

    /// The state of item `index` at `at` (`None` before it was introduced), judged as
    /// [`Record::status`] judges it, from the red lines that could block it.
    fn item_state_at(&self, index: usize, at: Instant, red_lines: &[usize], verdicts: &[Option<Verdicts>]) -> Option<ItemState> {
        let negotiation = self.negotiation;
        let item = &negotiation.items[index];
        if !self.introduced_by(index, at) {
            return None;
        }
        let version = self.version_at(index, at);
        let current = self.item_at(index, version);
        if current.removed {
            return Some(ItemState::Removed);
        }
        let mut stances = Vec::new();
        for party in &negotiation.parties {
            let Some((given_at, stance_index)) = self.stance_at(index, &party.id, at) else { continue };
            let on_version = self.stance_version(index, given_at, stance_index);
            stances.push(PartyStance {
                party: party.id.clone(),
                signatory: negotiation.is_signatory(&party.id),
                position: negotiation.stances[stance_index].position,
                since: String::new(),
                on_version,
                stale: on_version < version,
                source: String::new(),
                note: String::new(),
                via: None,
            });
        }
        let checks: Vec<RedLineCheck> = red_lines
            .iter()
            .filter(|&&red_line| verdicts[red_line].as_ref().is_some_and(|verdicts| verdicts.broken_at(at)))
            .map(|&red_line| &negotiation.red_lines[red_line])
            .filter(|red_line| red_line.expr.issues().iter().any(|issue| current.proposes.iter().any(|(proposed, _)| proposed == issue)))
            .map(|red_line| RedLineCheck {
                id: red_line.id.clone(),
                party: red_line.party.clone(),
                expression: red_line.expression.clone(),
                description: String::new(),
                holds: Some(false),
                items: vec![item.number],
                documents: vec![item.document.clone()],
            })
            .collect();
        let (mut state, _) = crate::status::judge(negotiation, (&item.document, item.number), &stances, &checks, &[]);
        if state == ItemState::Agreed && !crate::status::unvalued(&item.settles, &current.proposes).is_empty() {
            state = ItemState::AgreedInPrinciple;
        }
        Some(state)
    }
}
