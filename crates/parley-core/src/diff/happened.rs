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
use crate::status::{ItemState, Record};
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
    /// A red line stopped holding: how it ended (`lapsed`, `conceded`, `reinterpreted`,
    /// `withdrawn`) and why, when the record says.
    RedLineDropped {
        red_line: String,
        party: String,
        ending: crate::model::Ending,
        #[serde(skip_serializing_if = "String::is_empty")]
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        replaced_by: Option<String>,
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
        let rounds = Rounds::new(self);
        let mut entries = Vec::new();
        self.round_entries(&in_window, &mut entries);
        self.item_entries(&in_window, &rounds, &mut entries);
        self.other_entries(&in_window, &rounds, from, to, &mut entries);
        let verdicts = self.red_line_verdicts(from, to);
        // Dates of a month or a year keep their form where a state change happened at them.
        let months: HashMap<Instant, (String, Option<Date>)> = entries
            .iter()
            .filter(|entry| entry.date.is_some_and(|date| date.precision() != crate::date::Precision::Day))
            .map(|entry| (entry.instant, (entry.at.clone(), entry.date)))
            .collect();
        self.state_entries(from, to, &verdicts, &rounds, &months, &mut entries);
        // Sorted by keys, not by moving the entries: events of one kind at one instant keep the
        // order they were collected in.
        let mut order: Vec<(Instant, u8, usize)> =
            entries.iter().enumerate().map(|(position, entry)| (entry.instant, entry.event.rank(), position)).collect();
        order.sort_unstable();
        let mut slots: Vec<Option<TimelineEntry>> = entries.into_iter().map(Some).collect();
        order.into_iter().filter_map(|(_, _, position)| slots[position].take()).collect()
    }

    /// The label and date of a moment, as entries show them.
    fn entry_at(&self, rounds: &Rounds, moment: &Moment) -> (String, Option<Date>) {
        match moment {
            Moment::Start => ("start".to_owned(), None),
            Moment::Round(id) => (id.clone(), rounds.date(id)),
            Moment::Date(date) => (date.to_string(), Some(*date)),
        }
    }

    fn round_entries(&self, in_window: &impl Fn(Instant) -> bool, entries: &mut Vec<TimelineEntry>) {
        for round in &self.negotiation.rounds {
            let Some(instant) = self.timeline.round(&round.id) else { continue };
            if in_window(instant) {
                let (at, date) = (round.id.clone(), round.effective_date());
                let event = TimelineEvent::Round { round: round.id.clone(), title: round.title.clone() };
                entries.push(TimelineEntry { at, date, event, instant });
            }
        }
    }

    /// Items introduced, revisions, stance changes and readouts.
    fn item_entries(&self, in_window: &impl Fn(Instant) -> bool, rounds: &Rounds, entries: &mut Vec<TimelineEntry>) {
        let negotiation = self.negotiation;
        for (index, item) in negotiation.items.iter().enumerate() {
            let document = || item.document.clone();
            let (introduced, revisions) = self.item_instants(index);
            if in_window(introduced) {
                let (at, date) = self.entry_at(rounds, &item.introduced);
                let event = TimelineEvent::Introduced { item: item.number, title: item.title.clone(), document: document() };
                entries.push(TimelineEntry { at, date, event, instant: introduced });
            }
            for (offset, (revision, &instant)) in item.revisions.iter().zip(revisions).enumerate() {
                if in_window(instant) {
                    let (at, date) = (revision.round.clone(), rounds.date(&revision.round));
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
                    // The same words again only matter when they cover a newer version.
                    if let Some((given_at, previous)) = previous
                        && before == Some(stance.position)
                        && self.stance_version(index, given_at, previous) == self.stance_version(index, instant, stance_index)
                    {
                        continue;
                    }
                    let (at, date) = self.entry_at(rounds, &stance.at);
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
                    let (at, date) = self.entry_at(rounds, &readout.at);
                    let event = TimelineEvent::Readout { item: item.number, party: readout.party.clone(), document: document() };
                    entries.push(TimelineEntry { at, date, event, instant });
                }
            }
        }
    }

    /// Red lines drawn and dropped, statements, documents' events and deadlines.
    fn other_entries(
        &self,
        in_window: &impl Fn(Instant) -> bool,
        rounds: &Rounds,
        from: &Point,
        to: &Point,
        entries: &mut Vec<TimelineEntry>,
    ) {
        let negotiation = self.negotiation;
        for red_line in &negotiation.red_lines {
            let since = self.timeline.moment(&red_line.since);
            if in_window(since) {
                let (at, date) = self.entry_at(rounds, &red_line.since);
                let event = TimelineEvent::RedLineDrawn { red_line: red_line.id.clone(), party: red_line.party.clone() };
                entries.push(TimelineEntry { at, date, event, instant: since });
            }
            if let Some(until) = &red_line.until {
                let instant = self.timeline.moment(until);
                if in_window(instant) {
                    let (at, date) = self.entry_at(rounds, until);
                    let event = TimelineEvent::RedLineDropped {
                        red_line: red_line.id.clone(),
                        party: red_line.party.clone(),
                        ending: red_line.ending,
                        reason: red_line.reason.clone(),
                        replaced_by: red_line.replaced_by.clone(),
                    };
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
                    let (at, date) = self.entry_at(rounds, &event.at);
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
        // The framework's value of an issue: that of the governing item proposing one, as
        // `Record::proposed_at` gives it.
        let value_of = |issue: &str| -> Option<(Value, Vec<crate::phase::PhaseValue>)> {
            let candidates = proposers.get(issue)?.iter().filter_map(|&item| {
                if !self.introduced_by(item, at) {
                    return None;
                }
                let version = self.item_at(item, self.version_at(item, at));
                if version.removed {
                    return None;
                }
                let schedule = version.schedules.iter().find(|schedule| schedule.issue == issue).map(|schedule| schedule.changes.clone());
                version
                    .proposes
                    .into_iter()
                    .find(|(proposed, _)| proposed == issue)
                    .map(|(_, value)| (self.governing_rank(item, at), (value, schedule.unwrap_or_default())))
            });
            candidates.max_by_key(|(rank, _)| *rank).map(|(_, value)| value)
        };
        let kind_of = |issue: &str| negotiation.issue(issue).map(|issue| issue.kind.clone());
        crate::phase::judge_red_line(&negotiation.phases, &negotiation.red_lines[index], &value_of, &kind_of).0 == Some(false)
    }

    /// Each item's state at the window's ends (`None` before it was introduced) and whether the
    /// framework was accepted then, as [`Record::status`] has them, without building a status.
    pub(super) fn net_states(&self, from: &Point, to: &Point) -> NetStates {
        let verdicts = self.red_line_verdicts(from, to);
        let judge = Judge::new(self, &verdicts);
        let mut red_lines = Vec::new();
        let mut states = NetStates::default();
        for index in 0..self.negotiation.items.len() {
            judge.red_lines_of(index, &mut red_lines);
            states.before.push(judge.state_at(index, from.instant, &red_lines));
            states.after.push(judge.state_at(index, to.instant, &red_lines));
        }
        states.accepted_before = self.accepted(from.instant, &states.before);
        states.accepted_after = self.accepted(to.instant, &states.after);
        states
    }

    /// Whether the framework is accepted at `at`, given each item's state then: every item in it
    /// agreed, leaving out the removed ones and those of documents that ended (as
    /// `FrameworkStatus::count` over a status's items).
    fn accepted(&self, at: Instant, states: &[Option<ItemState>]) -> bool {
        let negotiation = self.negotiation;
        let ended: Vec<&str> = (0..negotiation.documents.len())
            .filter(|&index| self.document_event_at(index, at).is_some_and(|event| event.state.is_terminal()))
            .map(|index| negotiation.documents[index].id.as_str())
            .collect();
        let mut in_framework = 0;
        let mut agreed = 0;
        for (item, state) in negotiation.items.iter().zip(states) {
            let Some(state) = state else { continue };
            if *state == ItemState::Removed || ended.contains(&item.document.as_str()) {
                continue;
            }
            in_framework += 1;
            agreed += usize::from(*state == ItemState::Agreed);
        }
        in_framework > 0 && agreed == in_framework
    }

    /// Every change of an item's state in the window.
    fn state_entries(
        &self,
        from: &Point,
        to: &Point,
        verdicts: &[Option<Verdicts>],
        rounds: &Rounds,
        months: &HashMap<Instant, (String, Option<Date>)>,
        entries: &mut Vec<TimelineEntry>,
    ) {
        let negotiation = self.negotiation;
        let judge = Judge::new(self, verdicts);
        let mut instants = Vec::new();
        let mut red_lines = Vec::new();
        for (index, item) in negotiation.items.iter().enumerate() {
            judge.red_lines_of(index, &mut red_lines);
            let (introduced, revisions) = self.item_instants(index);
            instants.clear();
            instants.push(introduced);
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
            let mut state = judge.state_at(index, from.instant, &red_lines);
            for &instant in &instants {
                let next = judge.state_at(index, instant, &red_lines);
                if next == state {
                    continue;
                }
                let Some(after) = next else { continue };
                let (at, date) = months.get(&instant).cloned().unwrap_or_else(|| rounds.label(instant));
                let event = TimelineEvent::State { item: item.number, before: state, after, document: item.document.clone() };
                entries.push(TimelineEntry { at, date, event, instant });
                state = next;
            }
        }
    }
}

/// Items' states at a diff's ends, parallel to `negotiation.items`.
#[derive(Default)]
pub(super) struct NetStates {
    pub before: Vec<Option<ItemState>>,
    pub after: Vec<Option<ItemState>>,
    pub accepted_before: bool,
    pub accepted_after: bool,
}

/// The rounds by id and by instant, for labelling entries without a search per entry.
struct Rounds<'n> {
    dates: HashMap<&'n str, Option<Date>>,
    at: HashMap<Instant, &'n str>,
}

impl<'n> Rounds<'n> {
    fn new(record: &Record<'n>) -> Rounds<'n> {
        let rounds = &record.negotiation.rounds;
        Rounds {
            dates: rounds.iter().map(|round| (round.id.as_str(), round.effective_date())).collect(),
            at: rounds.iter().filter_map(|round| Some((record.timeline.round(&round.id)?, round.id.as_str()))).collect(),
        }
    }

    fn date(&self, id: &str) -> Option<Date> {
        self.dates.get(id).copied().flatten()
    }

    /// A round id for a round's instant, else the day.
    fn label(&self, instant: Instant) -> (String, Option<Date>) {
        match self.at.get(&instant) {
            Some(round) => ((*round).to_owned(), self.date(round)),
            None => (instant.date().map_or_else(|| "start".to_owned(), |date| date.to_string()), instant.date()),
        }
    }
}

/// An item's state at an instant, by the rules of `docs/status.md` as `status::judge` applies
/// them, without building a status: a diff judges each item at every instant its state can
/// change, so this allocates nothing per judgement (`tests/properties.rs` checks it against
/// [`Record::status`]).
struct Judge<'r, 'n> {
    record: &'r Record<'n>,
    verdicts: &'r [Option<Verdicts>],
    /// Each signatory's index among the parties (`None` for one that is not a party).
    signatories: Vec<Option<usize>>,
    /// The issues each red line names.
    red_line_issues: Vec<Vec<&'n str>>,
    /// Issue → the red lines naming it whose party signs.
    red_lines_of_issue: HashMap<&'n str, Vec<usize>>,
    /// Issue → the items proposing a value for it in some version.
    proposers: HashMap<&'n str, Vec<usize>>,
}

impl<'r, 'n> Judge<'r, 'n> {
    fn new(record: &'r Record<'n>, verdicts: &'r [Option<Verdicts>]) -> Judge<'r, 'n> {
        let negotiation = record.negotiation;
        let red_line_issues: Vec<Vec<&str>> = negotiation.red_lines.iter().map(|red_line| red_line.expr.issues()).collect();
        let mut red_lines_of_issue: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, issues) in red_line_issues.iter().enumerate() {
            if verdicts[index].is_some() {
                for issue in issues {
                    red_lines_of_issue.entry(*issue).or_default().push(index);
                }
            }
        }
        let mut proposers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, item) in negotiation.items.iter().enumerate() {
            for (issue, _) in item.proposes.iter().chain(item.revisions.iter().flat_map(|revision| revision.proposes.iter())) {
                let items = proposers.entry(issue.as_str()).or_default();
                if items.last() != Some(&index) {
                    items.push(index);
                }
            }
        }
        Judge {
            record,
            verdicts,
            proposers,
            signatories: negotiation
                .signatories
                .iter()
                .map(|signatory| negotiation.parties.iter().position(|party| &party.id == signatory))
                .collect(),
            red_line_issues,
            red_lines_of_issue,
        }
    }

    /// The red lines that could block item `index`: those whose party signs and that name an
    /// issue the item proposes a value for in some version.
    fn red_lines_of(&self, index: usize, red_lines: &mut Vec<usize>) {
        let item = &self.record.negotiation.items[index];
        red_lines.clear();
        red_lines.extend(
            item.proposes
                .iter()
                .chain(item.revisions.iter().flat_map(|revision| revision.proposes.iter()))
                .flat_map(|(issue, _)| self.red_lines_of_issue.get(issue.as_str()).map_or(&[][..], Vec::as_slice))
                .copied(),
        );
        red_lines.sort_unstable();
        red_lines.dedup();
    }

    /// Whether item `index`, which proposes a value for `issue` at `at`, is the item whose value
    /// the framework takes: no other item proposing one then governs more strongly.
    fn governs(&self, index: usize, issue: &str, at: Instant) -> bool {
        let record = self.record;
        let rank = record.governing_rank(index, at);
        self.proposers.get(issue).is_none_or(|items| {
            items.iter().filter(|&&other| other != index && record.introduced_by(other, at)).all(|&other| {
                let version = record.item_at(other, record.version_at(other, at));
                version.removed
                    || !version.proposes.iter().any(|(proposed, _)| proposed == issue)
                    || record.governing_rank(other, at) < rank
            })
        })
    }

    /// The state of item `index` at `at` (`None` before it was introduced), given the red lines
    /// that could block it.
    fn state_at(&self, index: usize, at: Instant, red_lines: &[usize]) -> Option<ItemState> {
        let record = self.record;
        let item = &record.negotiation.items[index];
        if !record.introduced_by(index, at) {
            return None;
        }
        let version = record.version_at(index, at);
        let current = record.item_at(index, version);
        if current.removed {
            return Some(ItemState::Removed);
        }
        let (mut blocked, mut opposed, mut pending) = (false, false, false);
        for signatory in &self.signatories {
            let Some(party) = *signatory else {
                pending = true;
                continue;
            };
            let stances = record.party_stances(index, party);
            let count = stances.partition_point(|(instant, _)| *instant <= at);
            let Some(&(given_at, stance)) = count.checked_sub(1).map(|last| &stances[last]) else {
                pending = true;
                continue;
            };
            let stale = record.stance_version(index, given_at, stance) < version;
            match record.negotiation.stances[stance].position {
                Position::RedLine => blocked = true,
                Position::Opposes => opposed = true,
                Position::Undecided => pending = true,
                Position::Accepts | Position::AcceptsWithReservations if stale => pending = true,
                Position::Accepts | Position::AcceptsWithReservations => {}
            }
        }
        // A broken red line blocks the items whose values it was judged on: for each issue it
        // names, the governing item proposing one (`Record::proposed_at`), as status does.
        blocked |= red_lines.iter().any(|&red_line| {
            self.verdicts[red_line].as_ref().is_some_and(|verdicts| verdicts.broken_at(at))
                && self.red_line_issues[red_line]
                    .iter()
                    .any(|issue| current.proposes.iter().any(|(proposed, _)| proposed == issue) && self.governs(index, issue, at))
        });
        Some(if blocked {
            ItemState::Blocked
        } else if opposed {
            ItemState::Disputed
        } else if pending {
            ItemState::Open
        } else if crate::status::unvalued(&item.settles, &current.proposes).is_empty() {
            ItemState::Agreed
        } else {
            ItemState::AgreedInPrinciple
        })
    }
}
