//! Where the talks stand at any point: each item's current version, every party's stance on it,
//! and whether it is agreed, disputed, blocked or open.
//!
//! Rules (documented in `docs/status.md`):
//! - an item is **agreed** when every signatory accepts its current version;
//! - **blocked** when a signatory holds a red-line stance on it, or when the framework's proposed
//!   values violate a signatory's red-line expression over an issue the item settles;
//! - **disputed** when a signatory opposes it (and it is not blocked);
//! - **open** otherwise: some signatory has not (yet) accepted the current version;
//! - **removed** when a revision took it out of the framework;
//! - **agreed in principle** when every signatory accepts it but an issue it settles has no
//!   proposed value (it counts as not agreed).
//!
//! An objection stands until it is withdrawn, so an `opposes` or `red-line` stance given on an
//! earlier version still counts (marked stale); an acceptance covers only the version accepted, so
//! a stale acceptance does not make an item agreed. The framework is accepted only when every item
//! in it is agreed: nothing is agreed until everything is agreed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::model::{IssueKind, Moment, Negotiation, Position, Value};
use crate::timeline::{Instant, Point, Timeline};

/// The negotiation with its events indexed by time, for fast status at any point.
#[derive(Debug)]
pub struct Record<'n> {
    pub negotiation: &'n Negotiation,
    /// The index, built for this record or kept with it (see [`Tracks`]).
    tracks: Cow<'n, Tracks>,
}

/// A negotiation's events indexed by time: what [`Record`] answers from besides the negotiation
/// itself. Built once for a negotiation ([`Tracks::new`]); when the negotiation has since only
/// gained stances at the end of its list, [`Tracks::extend`] indexes those alone and leaves the
/// tracks exactly as [`Tracks::new`] would build them for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracks {
    pub timeline: Timeline,
    /// Parallel to `negotiation.items`. Each behind its own count, so that a copy brought up to a
    /// later record by [`Tracks::extend`] copies only the items its new stances are on.
    items: Vec<Arc<ItemTrack>>,
    /// Parallel to `negotiation.red_lines`: when each was drawn and, if it was, dropped.
    red_lines: Vec<(Instant, Option<Instant>)>,
    party_index: HashMap<String, usize>,
    /// Parallel to `negotiation.documents`: when each lifecycle event happened.
    documents: Vec<Vec<Instant>>,
    /// How many of the negotiation's stances are indexed (the first so many).
    stances: usize,
    /// The statuses already computed from these tracks.
    statuses: Statuses,
}

/// How many statuses one record keeps beyond one for each of its statements and rounds (all
/// dropped when full): a claims check asks for one at each statement's instant, at the rounds
/// its claims name, and as of now, and all of them stay kept.
const MORE_STATUSES: usize = 32;

/// Statuses computed from one record's tracks, by instant, each as of an unnamed point (see
/// [`Record::status_at`]). A status as of an instant depends only on the stances given up to
/// it, so [`Tracks::extend`] keeps those before the earliest instant it adds a stance at, and a
/// record that has only gained later stances answers its earlier statuses without computing them
/// again. Not part of the tracks' equality: it holds only what they compute.
#[derive(Default)]
struct Statuses(std::sync::Mutex<HashMap<Instant, Arc<Status>>>);

impl Statuses {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Instant, Arc<Status>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, at: Instant) -> Option<Arc<Status>> {
        self.map().get(&at).cloned()
    }

    /// Keeps `status` as of `at`, in a map of at most `room` (emptied first when full).
    fn keep(&self, at: Instant, status: Arc<Status>, room: usize) {
        let mut map = self.map();
        if map.len() >= room {
            map.clear();
        }
        map.insert(at, status);
    }

    /// Drops every status as of `from` or later.
    fn drop_from(&self, from: Instant) {
        self.map().retain(|at, _| *at < from);
    }
}

impl Clone for Statuses {
    fn clone(&self) -> Statuses {
        Statuses(std::sync::Mutex::new(self.map().clone()))
    }
}

impl PartialEq for Statuses {
    fn eq(&self, _: &Statuses) -> bool {
        true
    }
}

impl Eq for Statuses {}

impl std::fmt::Debug for Statuses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Statuses({} kept)", self.map().len())
    }
}

impl std::ops::Deref for Record<'_> {
    type Target = Tracks;

    fn deref(&self) -> &Tracks {
        &self.tracks
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ItemTrack {
    introduced: Instant,
    /// When each revision was made, in order.
    revisions: Vec<Instant>,
    /// For each party (by index), its stances on the item: (when, index in `negotiation.stances`).
    stances: Vec<Vec<(Instant, usize)>>,
    /// When each of the item's readouts was given, parallel to `item.readouts`.
    readouts: Vec<Instant>,
    /// Stances on a party's readout rather than the joint text, in time order: (when, index).
    readout_stances: Vec<(Instant, usize)>,
}

/// The state of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemState {
    Agreed,
    Open,
    Disputed,
    Blocked,
    Removed,
    /// Every signatory accepts its current version, but an issue it settles has no proposed value
    /// (none was ever proposed, or a revision withdrew it): agreed in principle, not in full.
    AgreedInPrinciple,
}

impl ItemState {
    pub fn keyword(self) -> &'static str {
        match self {
            ItemState::Agreed => "agreed",
            ItemState::Open => "open",
            ItemState::Disputed => "disputed",
            ItemState::Blocked => "blocked",
            ItemState::Removed => "removed",
            ItemState::AgreedInPrinciple => "agreed-in-principle",
        }
    }
}

/// Status of the whole framework at a point.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub negotiation: String,
    pub title: String,
    pub as_of: Point,
    pub signatories: Vec<String>,
    pub framework: FrameworkStatus,
    pub items: Vec<ItemStatus>,
    /// Every red line in force, and whether the proposed framework respects it.
    pub red_lines: Vec<RedLineCheck>,
    /// The value each issue has in the framework as it stands, and the item proposing it.
    pub proposed: Vec<ProposedValue>,
    /// Every deadline, upcoming or passed (left out of the JSON when the record has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlines: Vec<crate::deadline::DeadlineStatus>,
    /// What looks wrong in the record at this point, such as a party accepting an item that
    /// breaks its own red line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::warnings::StatusWarning>,
    /// Each document's own status, in a record with documents (`framework` is then the overall).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<crate::document::DocumentStatus>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FrameworkStatus {
    pub accepted: bool,
    /// Items in the framework (not removed).
    pub items: usize,
    pub agreed: usize,
    pub open: usize,
    pub disputed: usize,
    pub blocked: usize,
    pub removed: usize,
    /// Items every signatory accepts while an issue they settle has no value; they are not agreed.
    #[serde(skip_serializing_if = "is_zero")]
    pub agreed_in_principle: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[derive(Clone, Debug, Serialize)]
pub struct ItemStatus {
    pub number: u32,
    pub title: String,
    pub topic: String,
    pub text: String,
    /// 0 for the text as introduced, then one more per revision.
    pub version: usize,
    /// The round of the latest revision, if any.
    pub revised_in: Option<String>,
    #[serde(serialize_with = "crate::model::serialize_values")]
    pub proposes: Vec<(String, Value)>,
    pub state: ItemState,
    pub stances: Vec<PartyStance>,
    /// Why the item is in its state (what blocks it, who opposes, who has not accepted).
    pub reasons: Vec<Reason>,
    /// For an item agreed in principle: the issues it settles that have no proposed value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_values: Vec<String>,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
    /// Parties' own readouts of the item in force (each party's latest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readouts: Vec<crate::readout::ReadoutStatus>,
    /// Issues on which the readouts differ from the joint values or from each other.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discrepancies: Vec<crate::readout::Discrepancy>,
    /// Stances on a party's readout rather than on the joint text (they do not decide the state).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readout_stances: Vec<crate::readout::ReadoutStance>,
    /// Issues of `proposes` whose value changes in later phases (`proposes` holds the first's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<crate::phase::Schedule>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartyStance {
    pub party: String,
    pub signatory: bool,
    pub position: Position,
    /// When it was given: a round id or a date.
    pub since: String,
    /// The item version it was given on.
    pub on_version: usize,
    /// Given on an earlier version than the current one.
    pub stale: bool,
    pub source: String,
    pub note: String,
    /// The bloc whose stance this is, when the party did not give its own (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// A signatory holds a red-line stance on the item.
    RedLineStance {
        party: String,
        stale: bool,
    },
    /// The proposed values violate a signatory's red line.
    RedLineViolated {
        party: String,
        red_line: String,
        expression: String,
        values: Vec<(String, Value)>,
        /// In a record with phases: the first phase whose values violate it (absent when the red
        /// line is about every phase and every phase's values violate it).
        #[serde(skip_serializing_if = "Option::is_none")]
        phase: Option<String>,
    },
    Opposes {
        party: String,
        stale: bool,
    },
    /// A signatory has not accepted the current version.
    NotAccepted {
        party: String,
        why: Pending,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pending {
    NoStance,
    Undecided,
    /// Accepted an earlier version only.
    StaleAcceptance,
}

impl Reason {
    /// The party the reason is about.
    pub fn party(&self) -> &str {
        match self {
            Reason::RedLineStance { party, .. }
            | Reason::RedLineViolated { party, .. }
            | Reason::Opposes { party, .. }
            | Reason::NotAccepted { party, .. } => party,
        }
    }

    /// The reason in words, about `item` ("this item", "item 6"), naming the party as `who`.
    pub fn describe(&self, item: &str, who: &str) -> String {
        let stale = |stale: bool| if stale { " (given on an earlier version)" } else { "" };
        match self {
            Reason::RedLineStance { stale: old, .. } => format!("{who} holds a red line on {item}{}", stale(*old)),
            Reason::RedLineViolated { red_line, expression, values, phase, .. } => {
                let values: Vec<String> = values.iter().map(|(issue, value)| format!("{issue} = {value}")).collect();
                let phase = phase.as_ref().map_or_else(String::new, |phase| format!(" in phase {phase}"));
                format!("{item} breaks {who}'s red line {red_line} ({expression}) with {}{phase}", values.join(", "))
            }
            Reason::Opposes { stale: old, .. } => format!("{who} opposes {item}{}", stale(*old)),
            Reason::NotAccepted { why, .. } => {
                let why = match why {
                    Pending::NoStance => "has stated no position on",
                    Pending::Undecided => "is undecided on",
                    Pending::StaleAcceptance => "accepted only an earlier version of",
                };
                format!("{who} {why} {item}")
            }
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RedLineCheck {
    pub id: String,
    pub party: String,
    pub expression: String,
    pub description: String,
    /// Whether the framework's proposed values satisfy it; `None` while an issue it names has no
    /// proposed value.
    pub holds: Option<bool>,
    /// Items proposing values for the issues it names.
    pub items: Vec<u32>,
    /// In a record with documents: the document of each item in `items`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<String>,
    /// In a record with phases: the verdict in each phase the red line is about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<crate::phase::PhaseVerdict>,
}

impl RedLineCheck {
    /// The items as written: `N`, or `DOC:N` in a record of several documents.
    pub fn item_labels(&self, several_documents: bool) -> Vec<String> {
        self.items
            .iter()
            .enumerate()
            .map(|(index, number)| {
                let document = self.documents.get(index).map_or("", String::as_str);
                crate::document::item_label(document, *number, several_documents)
            })
            .collect()
    }

    /// Whether item `number` of `document` proposes a value this red line names.
    pub(crate) fn concerns(&self, document: &str, number: u32) -> bool {
        self.items
            .iter()
            .enumerate()
            .any(|(index, item)| *item == number && self.documents.get(index).map_or("", String::as_str) == document)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ProposedValue {
    pub issue: String,
    pub value: Value,
    pub item: u32,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
    /// The values of later phases, when the item proposes a schedule (`value` is the first's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<crate::phase::PhaseValue>,
}

impl Tracks {
    /// Indexes every event of `negotiation`.
    pub fn new(negotiation: &Negotiation) -> Tracks {
        let timeline = Timeline::new(&negotiation.rounds);
        let party_index: HashMap<String, usize> =
            negotiation.parties.iter().enumerate().map(|(index, party)| (party.id.clone(), index)).collect();
        let item_index: HashMap<(&str, u32), usize> =
            negotiation.items.iter().enumerate().map(|(index, item)| ((item.document.as_str(), item.number), index)).collect();
        let mut items: Vec<ItemTrack> = negotiation
            .items
            .iter()
            .map(|item| ItemTrack {
                introduced: timeline.moment(&item.introduced),
                revisions: item.revisions.iter().map(|revision| timeline.moment(&Moment::Round(revision.round.clone()))).collect(),
                stances: vec![Vec::new(); negotiation.parties.len()],
                readouts: item.readouts.iter().map(|readout| timeline.moment(&readout.at)).collect(),
                readout_stances: Vec::new(),
            })
            .collect();
        for (index, stance) in negotiation.stances.iter().enumerate() {
            let key = (stance.document.as_str(), stance.item);
            let Some(&item) = item_index.get(&key) else { continue };
            let instant = timeline.moment(&stance.at);
            let track = &mut items[item];
            if !stance.readout.is_empty() {
                // A stance on a party's readout says nothing about the joint text.
                track.readout_stances.push((instant, index));
                continue;
            }
            for party in counted_for(negotiation, &party_index, &stance.party) {
                track.stances[party].push((instant, index));
            }
        }
        for track in &mut items {
            track.readout_stances.sort_by_key(|(instant, _)| *instant);
            for (party, stances) in track.stances.iter_mut().enumerate() {
                // Stable: stances at the same instant keep their file order, the later one winning,
                // except that a party's own stance wins over its bloc's at the same instant.
                stances.sort_by_key(|(instant, index)| (*instant, own(negotiation, party, *index)));
            }
        }
        let red_lines = negotiation
            .red_lines
            .iter()
            .map(|red_line| (timeline.moment(&red_line.since), red_line.until.as_ref().map(|until| timeline.moment(until))))
            .collect();
        let documents =
            negotiation.documents.iter().map(|document| document.events.iter().map(|event| timeline.moment(&event.at)).collect()).collect();
        let items = items.into_iter().map(Arc::new).collect();
        Tracks { timeline, items, red_lines, party_index, documents, stances: negotiation.stances.len(), statuses: Statuses::default() }
    }

    /// Indexes the stances `negotiation` has beyond those already indexed. `negotiation` must be
    /// the one these tracks were built for with stances added at the end of its list and nothing
    /// else changed; the tracks are then exactly [`Tracks::new`]'s for it. Each new stance goes
    /// where the stable sort of [`Tracks::new`] puts it: after every stance with the same key,
    /// since it comes after them all in the list. The statuses kept as of an instant before every
    /// new stance's stay kept.
    pub fn extend(&mut self, negotiation: &Negotiation) {
        debug_assert!(self.stances <= negotiation.stances.len(), "stances were removed");
        let added = negotiation.stances.range(self.stances.min(negotiation.stances.len())..);
        if let Some(earliest) = added.map(|stance| self.timeline.moment(&stance.at)).min() {
            self.statuses.drop_from(earliest);
        }
        for index in self.stances..negotiation.stances.len() {
            let stance = &negotiation.stances[index];
            // The last item of that document and number, as the index of `new` keeps it.
            let Some(item) = negotiation.items.iter().rposition(|item| item.document == stance.document && item.number == stance.item)
            else {
                continue;
            };
            let instant = self.timeline.moment(&stance.at);
            let parties: Vec<usize> = counted_for(negotiation, &self.party_index, &stance.party).collect();
            let track = Arc::make_mut(&mut self.items[item]);
            if !stance.readout.is_empty() {
                let at = track.readout_stances.partition_point(|(given, _)| *given <= instant);
                track.readout_stances.insert(at, (instant, index));
                continue;
            }
            for party in parties {
                let key = (instant, own(negotiation, party, index));
                let stances = &mut track.stances[party];
                let at = stances.partition_point(|(given, other)| (*given, own(negotiation, party, *other)) <= key);
                stances.insert(at, (instant, index));
            }
        }
        self.stances = negotiation.stances.len();
    }
}

/// The parties (by index) a stance by `who` counts for: the party itself, or each member of the
/// bloc `who` (`docs/status.md`, "Blocs"); none for anyone else.
fn counted_for<'a>(negotiation: &'a Negotiation, party_index: &'a HashMap<String, usize>, who: &str) -> impl Iterator<Item = usize> + 'a {
    let party = party_index.get(who).copied();
    let bloc = if party.is_none() { negotiation.bloc(who) } else { None };
    let members = bloc.into_iter().flat_map(|bloc| &bloc.members).filter_map(|member| party_index.get(member.as_str()).copied());
    party.into_iter().chain(members)
}

/// Whether stance `index` is party number `party`'s own (not its bloc's).
fn own(negotiation: &Negotiation, party: usize, index: usize) -> bool {
    negotiation.stances[index].party == negotiation.parties[party].id
}

impl<'n> Record<'n> {
    pub fn new(negotiation: &'n Negotiation) -> Record<'n> {
        Record { negotiation, tracks: Cow::Owned(Tracks::new(negotiation)) }
    }

    /// The record of `negotiation` with its tracks already built (`Tracks::new(negotiation)`, or
    /// brought up to it by [`Tracks::extend`]).
    pub fn with_tracks(negotiation: &'n Negotiation, tracks: &'n Tracks) -> Record<'n> {
        debug_assert_eq!(tracks.stances, negotiation.stances.len(), "tracks of another record");
        Record { negotiation, tracks: Cow::Borrowed(tracks) }
    }

    /// Resolves a user's point (round id, date, `start`, `now`).
    pub fn point(&self, text: &str) -> Result<Point, crate::timeline::PointError> {
        self.timeline.point(self.negotiation, text)
    }

    /// The label of a moment for people: the round id or the date.
    pub(crate) fn moment_label(moment: &Moment) -> String {
        match moment {
            Moment::Start => "start".to_owned(),
            Moment::Round(id) => id.clone(),
            Moment::Date(date) => date.to_string(),
        }
    }

    /// The version of item `index` in force at `at` (number of revisions made by then).
    pub(crate) fn version_at(&self, index: usize, at: Instant) -> usize {
        self.items[index].revisions.partition_point(|revision| *revision <= at)
    }

    /// The joint version a stance (given at `given_at`, index `stance` in `negotiation.stances`)
    /// is on: the one it names, or the one in force when it was given.
    pub(crate) fn stance_version(&self, index: usize, given_at: Instant, stance: usize) -> usize {
        self.negotiation.stances[stance].version.unwrap_or_else(|| self.version_at(index, given_at))
    }

    /// The readouts of item `index` in force at `at`: each party's latest by then, in the order
    /// of the parties.
    pub(crate) fn readouts_at(&self, index: usize, at: Instant) -> Vec<&'n crate::readout::Readout> {
        let item = &self.negotiation.items[index];
        if item.readouts.is_empty() {
            return Vec::new();
        }
        let track = &self.items[index];
        let mut latest: Vec<Option<(Instant, usize)>> = vec![None; self.negotiation.parties.len()];
        for (position, readout) in item.readouts.iter().enumerate() {
            let instant = track.readouts[position];
            let Some(&party) = self.party_index.get(readout.party.as_str()) else { continue };
            if instant <= at && latest[party].is_none_or(|(before, _)| before <= instant) {
                latest[party] = Some((instant, position));
            }
        }
        latest.into_iter().flatten().map(|(_, position)| &item.readouts[position]).collect()
    }

    /// Stances on readouts of item `index` given by `at`: each party's latest on each readout.
    pub(crate) fn readout_stances_at(&self, index: usize, at: Instant) -> Vec<&'n crate::model::Stance> {
        let mut latest: Vec<&crate::model::Stance> = Vec::new();
        for &(instant, stance) in &self.items[index].readout_stances {
            if instant > at {
                break;
            }
            let stance = &self.negotiation.stances[stance];
            latest.retain(|kept| !(kept.party == stance.party && kept.readout == stance.readout));
            latest.push(stance);
        }
        latest
    }

    pub(crate) fn introduced_by(&self, index: usize, at: Instant) -> bool {
        self.items[index].introduced <= at
    }

    /// The latest stance of a party on item `index` at `at`, as an index into `negotiation.stances`.
    pub(crate) fn stance_at(&self, index: usize, party: &str, at: Instant) -> Option<(Instant, usize)> {
        let party = *self.party_index.get(party)?;
        let stances = &self.items[index].stances[party];
        let count = stances.partition_point(|(instant, _)| *instant <= at);
        count.checked_sub(1).map(|last| stances[last])
    }

    /// Every stance of a party on item `index` given by `at`, in time order: (when, index in
    /// `negotiation.stances`).
    pub(crate) fn stances_by(&self, index: usize, party: &str, at: Instant) -> &[(Instant, usize)] {
        let Some(&party) = self.party_index.get(party) else { return &[] };
        let stances = &self.items[index].stances[party];
        &stances[..stances.partition_point(|(instant, _)| *instant <= at)]
    }

    pub(crate) fn red_line_in_force(&self, index: usize, at: Instant) -> bool {
        let (since, until) = self.red_lines[index];
        crate::timeline::in_force(since, until, at)
    }

    /// The item's text, title, proposed values and removal flag at a version.
    pub(crate) fn item_at(&self, index: usize, version: usize) -> ItemVersion<'n> {
        let item = &self.negotiation.items[index];
        let mut current = ItemVersion {
            title: &item.title,
            text: &item.text,
            proposes: item.proposes.clone(),
            removed: false,
            revised_in: None,
            schedules: item.schedules.clone(),
        };
        for revision in &item.revisions[..version] {
            if let Some(title) = &revision.title {
                current.title = title;
            }
            if let Some(text) = &revision.text {
                current.text = text;
            }
            for (issue, value) in &revision.proposes {
                match current.proposes.iter_mut().find(|(proposed, _)| proposed == issue) {
                    Some(slot) => slot.1 = value.clone(),
                    None => current.proposes.push((issue.clone(), value.clone())),
                }
            }
            current.proposes.retain(|(issue, _)| !revision.withdraws.contains(issue));
            // A value proposed again replaces the issue's schedule, by the revision's or by none.
            current.schedules.retain(|schedule| {
                !revision.withdraws.contains(&schedule.issue) && !revision.proposes.iter().any(|(issue, _)| *issue == schedule.issue)
            });
            current.schedules.extend(revision.schedules.iter().cloned());
            if revision.removed {
                current.removed = true;
            }
            if revision.restored {
                current.removed = false;
            }
            current.revised_in = Some(&revision.round);
        }
        current
    }

    /// The framework's proposed outcome at `at`: issue → (value, item number). When items of
    /// several documents propose a value for one issue, the document in play governs: an item of a
    /// document not ended by then (superseded, expired or rejected) over one of an ended document,
    /// then the item introduced last (the later text), then the one listed last.
    pub(crate) fn proposed_at(&self, at: Instant) -> Vec<ProposedValue> {
        // Per issue: (in play, introduced, item index) of the governing item, and its value.
        let mut governing: Vec<((bool, Instant, usize), ProposedValue)> = Vec::new();
        for (index, item) in self.negotiation.items.iter().enumerate() {
            if !self.introduced_by(index, at) {
                continue;
            }
            let version = self.item_at(index, self.version_at(index, at));
            if version.removed {
                continue;
            }
            let rank = self.governing_rank(index, at);
            for (issue, value) in version.proposes {
                let schedule = version.schedules.iter().find(|schedule| schedule.issue == issue).map(|schedule| schedule.changes.clone());
                let candidate = ProposedValue {
                    issue,
                    value,
                    item: item.number,
                    document: item.document.clone(),
                    schedule: schedule.unwrap_or_default(),
                };
                match governing.iter_mut().find(|(_, known)| known.issue == candidate.issue) {
                    Some(slot) if slot.0 < rank => *slot = (rank, candidate),
                    Some(_) => {}
                    None => governing.push((rank, candidate)),
                }
            }
        }
        governing.into_iter().map(|(_, value)| value).collect()
    }

    /// How strongly item `index` governs the issues it proposes values for at `at` (the greatest
    /// wins): an item of a document not ended by then, then the one introduced last, then the one
    /// listed last. The one rule for status and diff.
    pub(crate) fn governing_rank(&self, index: usize, at: Instant) -> (bool, Instant, usize) {
        let document = &self.negotiation.items[index].document;
        let ended = self
            .negotiation
            .documents
            .iter()
            .position(|known| known.id == *document)
            .is_some_and(|position| self.document_event_at(position, at).is_some_and(|event| event.state.is_terminal()));
        (!ended, self.items[index].introduced, index)
    }

    /// Evaluates red line `index` against a proposed outcome.
    pub(crate) fn check_red_line(&self, index: usize, proposed: &[ProposedValue]) -> RedLineCheck {
        let red_line = &self.negotiation.red_lines[index];
        let value_of =
            |issue: &str| proposed.iter().find(|value| value.issue == issue).map(|value| (value.value.clone(), value.schedule.clone()));
        let kind_of = |issue: &str| -> Option<IssueKind> { self.negotiation.issue(issue).map(|issue| issue.kind.clone()) };
        let (holds, phases) = crate::phase::judge_red_line(&self.negotiation.phases, red_line, &value_of, &kind_of);
        let mut pairs: Vec<(&str, u32)> = red_line
            .expr
            .issues()
            .iter()
            .filter_map(|issue| proposed.iter().find(|value| value.issue == *issue).map(|value| (value.document.as_str(), value.item)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let items = pairs.iter().map(|(_, number)| *number).collect();
        let documents = if self.negotiation.documents.is_empty() {
            Vec::new()
        } else {
            pairs.iter().map(|(document, _)| (*document).to_owned()).collect()
        };
        RedLineCheck {
            id: red_line.id.clone(),
            party: red_line.party.clone(),
            expression: red_line.expression.clone(),
            description: red_line.description.clone(),
            holds,
            items,
            documents,
            phases,
        }
    }

    /// Status of every item and of the framework at a point, with its deadlines.
    pub fn status(&self, as_of: &Point) -> Status {
        let at = as_of.instant;
        let mut status = match self.tracks.statuses.get(at) {
            Some(kept) => Status::clone(&kept),
            // As of the end, which every stance added changes, a status is kept only when asked
            // for by [`Record::status_at`]: keeping it for this answer would cost a copy each time.
            None if at == Instant::END => return self.computed_status(as_of),
            None => Status::clone(&self.status_at(at)),
        };
        status.as_of = as_of.clone();
        status
    }

    /// [`Record::status`] at `at`, as of a point with no label or round, computed once per
    /// instant for these tracks (see [`Statuses`]).
    pub(crate) fn status_at(&self, at: Instant) -> Arc<Status> {
        if let Some(kept) = self.tracks.statuses.get(at) {
            return kept;
        }
        let status = Arc::new(self.computed_status(&Point { label: String::new(), date: at.date(), round: None, instant: at }));
        let room = self.negotiation.statements.len() + self.negotiation.rounds.len() + MORE_STATUSES;
        self.tracks.statuses.keep(at, status.clone(), room);
        status
    }

    /// [`Record::status`], computed.
    fn computed_status(&self, as_of: &Point) -> Status {
        let mut status = self.status_of_items(as_of);
        status.deadlines = self.deadlines(as_of);
        status
    }

    /// [`Record::status`] without the deadlines (which need the items' states at other points).
    pub(crate) fn status_of_items(&self, as_of: &Point) -> Status {
        let negotiation = self.negotiation;
        let at = as_of.instant;
        let proposed = self.proposed_at(at);
        let red_lines: Vec<RedLineCheck> = (0..negotiation.red_lines.len())
            .filter(|&index| self.red_line_in_force(index, at))
            .map(|index| self.check_red_line(index, &proposed))
            .collect();

        let mut items = Vec::new();
        for (index, item) in negotiation.items.iter().enumerate() {
            if !self.introduced_by(index, at) {
                continue;
            }
            let version = self.version_at(index, at);
            let current = self.item_at(index, version);
            let mut stances = Vec::new();
            for party in &negotiation.parties {
                let Some((given_at, stance_index)) = self.stance_at(index, &party.id, at) else { continue };
                let stance = &negotiation.stances[stance_index];
                let on_version = self.stance_version(index, given_at, stance_index);
                stances.push(PartyStance {
                    party: party.id.clone(),
                    signatory: negotiation.is_signatory(&party.id),
                    position: stance.position,
                    since: Self::moment_label(&stance.at),
                    on_version,
                    stale: on_version < version,
                    source: stance.source.clone(),
                    note: stance.note.clone(),
                    via: (stance.party != party.id).then(|| stance.party.clone()),
                });
            }
            let (mut state, reasons) = if current.removed {
                (ItemState::Removed, Vec::new())
            } else {
                judge(negotiation, (&item.document, item.number), &stances, &red_lines, &proposed)
            };
            let (readouts, discrepancies, readout_stances) = self.readouts_status(index, at, &current);
            let mut missing_values = Vec::new();
            if state == ItemState::Agreed {
                missing_values = unvalued(&item.settles, &current.proposes);
                if !missing_values.is_empty() {
                    state = ItemState::AgreedInPrinciple;
                }
            }
            items.push(ItemStatus {
                number: item.number,
                title: current.title.to_owned(),
                topic: item.topic.clone(),
                text: current.text.to_owned(),
                version,
                revised_in: current.revised_in.map(str::to_owned),
                proposes: current.proposes,
                state,
                stances,
                reasons,
                missing_values,
                document: item.document.clone(),
                readouts,
                discrepancies,
                readout_stances,
                schedules: current.schedules,
            });
        }

        let documents = self.document_statuses(at, &items);
        // Items of a document that was rejected, has expired or was superseded no longer need
        // agreement: the overall count leaves them out.
        let ended: Vec<&str> = documents
            .iter()
            .filter(|document| document.state.is_some_and(|state| state.is_terminal()))
            .map(|document| document.id.as_str())
            .collect();
        let framework = FrameworkStatus::count(items.iter().filter(|item| !ended.contains(&item.document.as_str())));
        let warnings = crate::warnings::status_warnings(&items, &red_lines);
        Status {
            negotiation: negotiation.id.clone(),
            title: negotiation.title.clone(),
            as_of: as_of.clone(),
            signatories: negotiation.signatories.clone(),
            framework,
            items,
            red_lines,
            proposed,
            deadlines: Vec::new(),
            warnings,
            documents,
        }
    }

    /// When item `index` was introduced and each of its revisions made (for `diff`'s timeline).
    pub(crate) fn item_instants(&self, index: usize) -> (Instant, &[Instant]) {
        (self.items[index].introduced, &self.items[index].revisions)
    }

    /// The stances on item `index` that count for party number `party`, in time order.
    pub(crate) fn party_stances(&self, index: usize, party: usize) -> &[(Instant, usize)] {
        &self.items[index].stances[party]
    }

    /// The recorded lifecycle event of document `index` in force at `at`, if any.
    pub(crate) fn document_event_at(&self, index: usize, at: Instant) -> Option<&'n crate::document::DocumentEvent> {
        let count = self.documents[index].partition_point(|instant| *instant <= at);
        count.checked_sub(1).map(|last| &self.negotiation.documents[index].events[last])
    }
}

impl FrameworkStatus {
    /// Counts the states of some items' statuses.
    pub(crate) fn count<'a>(items: impl Iterator<Item = &'a ItemStatus> + Clone) -> FrameworkStatus {
        let count = |state: ItemState| items.clone().filter(|item| item.state == state).count();
        let removed = count(ItemState::Removed);
        let in_framework = items.clone().count() - removed;
        let agreed = count(ItemState::Agreed);
        FrameworkStatus {
            accepted: in_framework > 0 && agreed == in_framework,
            items: in_framework,
            agreed,
            open: count(ItemState::Open),
            disputed: count(ItemState::Disputed),
            blocked: count(ItemState::Blocked),
            removed,
            agreed_in_principle: count(ItemState::AgreedInPrinciple),
        }
    }
}

/// An item as it reads at one version.
#[derive(Debug)]
pub(crate) struct ItemVersion<'n> {
    pub title: &'n str,
    pub text: &'n str,
    pub proposes: Vec<(String, Value)>,
    pub removed: bool,
    pub revised_in: Option<&'n str>,
    /// Issues of `proposes` whose value changes in later phases.
    pub schedules: Vec<crate::phase::Schedule>,
}

/// The issues of `settles` that `proposes` gives no value: nothing is agreed until everything is
/// agreed, values included.
pub(crate) fn unvalued(settles: &[String], proposes: &[(String, Value)]) -> Vec<String> {
    settles.iter().filter(|issue| !proposes.iter().any(|(proposed, _)| proposed == *issue)).cloned().collect()
}

fn judge(
    negotiation: &Negotiation,
    (document, number): (&str, u32),
    stances: &[PartyStance],
    red_lines: &[RedLineCheck],
    proposed: &[ProposedValue],
) -> (ItemState, Vec<Reason>) {
    let mut blocking = Vec::new();
    let mut opposing = Vec::new();
    let mut pending = Vec::new();
    for signatory in &negotiation.signatories {
        match stances.iter().find(|stance| &stance.party == signatory) {
            None => pending.push(Reason::NotAccepted { party: signatory.clone(), why: Pending::NoStance }),
            Some(stance) => match stance.position {
                Position::RedLine => blocking.push(Reason::RedLineStance { party: signatory.clone(), stale: stance.stale }),
                Position::Opposes => opposing.push(Reason::Opposes { party: signatory.clone(), stale: stance.stale }),
                Position::Undecided => pending.push(Reason::NotAccepted { party: signatory.clone(), why: Pending::Undecided }),
                Position::Accepts | Position::AcceptsWithReservations if stance.stale => {
                    pending.push(Reason::NotAccepted { party: signatory.clone(), why: Pending::StaleAcceptance })
                }
                Position::Accepts | Position::AcceptsWithReservations => {}
            },
        }
    }
    for check in red_lines {
        if check.holds == Some(false) && check.concerns(document, number) && negotiation.holder_signs(&check.party) {
            let red_line = negotiation.red_lines.iter().find(|red_line| red_line.id == check.id);
            // With phases, the values of the first phase that violates it, named unless the red
            // line is about every phase and every phase violates it.
            let every = check.phases.len() == negotiation.phases.len() && check.phases.iter().all(|verdict| verdict.holds == Some(false));
            let phase = check.phases.iter().find(|verdict| verdict.holds == Some(false) && !every).map(|verdict| verdict.phase.clone());
            let position = phase.as_ref().and_then(|phase| negotiation.phases.iter().position(|known| known.id == *phase));
            let value_in = |value: &ProposedValue| match position {
                Some(position) => {
                    crate::phase::values_by_phase(&negotiation.phases[..=position], &value.value, &value.schedule)[position].cloned()
                }
                None => Some(value.value.clone()),
            };
            let values = red_line
                .map(|red_line| {
                    red_line
                        .expr
                        .issues()
                        .iter()
                        .filter_map(|issue| {
                            let value = proposed.iter().find(|value| value.issue == *issue)?;
                            Some((value.issue.clone(), value_in(value)?))
                        })
                        .collect()
                })
                .unwrap_or_default();
            blocking.push(Reason::RedLineViolated {
                party: check.party.clone(),
                red_line: check.id.clone(),
                expression: check.expression.clone(),
                values,
                phase,
            });
        }
    }
    let state = if !blocking.is_empty() {
        ItemState::Blocked
    } else if !opposing.is_empty() {
        ItemState::Disputed
    } else if !pending.is_empty() {
        ItemState::Open
    } else {
        ItemState::Agreed
    };
    let mut reasons = blocking;
    reasons.extend(opposing);
    reasons.extend(pending);
    (state, reasons)
}
