//! Where the talks stand at any point: each item's current version, every party's stance on it,
//! and whether it is agreed, disputed, blocked or open.
//!
//! Rules (documented in `docs/status.md`):
//! - an item is **agreed** when every signatory accepts its current version;
//! - **blocked** when a signatory holds a red-line stance on it, or when the framework's proposed
//!   values violate a signatory's red-line expression over an issue the item settles;
//! - **disputed** when a signatory opposes it (and it is not blocked);
//! - **open** otherwise: some signatory has not (yet) accepted the current version;
//! - **removed** when a revision took it out of the framework.
//!
//! An objection stands until it is withdrawn, so an `opposes` or `red-line` stance given on an
//! earlier version still counts (marked stale); an acceptance covers only the version accepted, so
//! a stale acceptance does not make an item agreed. The framework is accepted only when every item
//! in it is agreed: nothing is agreed until everything is agreed.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{IssueKind, Moment, Negotiation, Position, Value};
use crate::timeline::{Instant, Point, Timeline};

/// The negotiation with its events indexed by time, for fast status at any point.
#[derive(Debug)]
pub struct Record<'n> {
    pub negotiation: &'n Negotiation,
    pub timeline: Timeline,
    /// Parallel to `negotiation.items`.
    items: Vec<ItemTrack>,
    /// Parallel to `negotiation.red_lines`: when each was drawn and, if it was, dropped.
    red_lines: Vec<(Instant, Option<Instant>)>,
    party_index: HashMap<&'n str, usize>,
}

#[derive(Debug)]
struct ItemTrack {
    introduced: Instant,
    /// When each revision was made, in order.
    revisions: Vec<Instant>,
    /// For each party (by index), its stances on the item: (when, index in `negotiation.stances`).
    stances: Vec<Vec<(Instant, usize)>>,
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
}

impl ItemState {
    pub fn keyword(self) -> &'static str {
        match self {
            ItemState::Agreed => "agreed",
            ItemState::Open => "open",
            ItemState::Disputed => "disputed",
            ItemState::Blocked => "blocked",
            ItemState::Removed => "removed",
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
            Reason::RedLineViolated { red_line, expression, values, .. } => {
                let values: Vec<String> = values.iter().map(|(issue, value)| format!("{issue} = {value}")).collect();
                format!("{item} breaks {who}'s red line {red_line} ({expression}) with {}", values.join(", "))
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
}

#[derive(Clone, Debug, Serialize)]
pub struct ProposedValue {
    pub issue: String,
    pub value: Value,
    pub item: u32,
}

impl<'n> Record<'n> {
    pub fn new(negotiation: &'n Negotiation) -> Record<'n> {
        let timeline = Timeline::new(&negotiation.rounds);
        let party_index: HashMap<&str, usize> =
            negotiation.parties.iter().enumerate().map(|(index, party)| (party.id.as_str(), index)).collect();
        let item_index: HashMap<u32, usize> = negotiation.items.iter().enumerate().map(|(index, item)| (item.number, index)).collect();
        let mut items: Vec<ItemTrack> = negotiation
            .items
            .iter()
            .map(|item| ItemTrack {
                introduced: timeline.moment(&item.introduced),
                revisions: item.revisions.iter().map(|revision| timeline.moment(&Moment::Round(revision.round.clone()))).collect(),
                stances: vec![Vec::new(); negotiation.parties.len()],
            })
            .collect();
        for (index, stance) in negotiation.stances.iter().enumerate() {
            let Some(&item) = item_index.get(&stance.item) else { continue };
            let instant = timeline.moment(&stance.at);
            if let Some(&party) = party_index.get(stance.party.as_str()) {
                items[item].stances[party].push((instant, index));
            } else if let Some(bloc) = negotiation.bloc(&stance.party) {
                // A bloc's stance is each member's (`docs/status.md`, "Blocs").
                for member in &bloc.members {
                    if let Some(&party) = party_index.get(member.as_str()) {
                        items[item].stances[party].push((instant, index));
                    }
                }
            }
        }
        for track in &mut items {
            for (party, stances) in track.stances.iter_mut().enumerate() {
                // Stable: stances at the same instant keep their file order, the later one winning,
                // except that a party's own stance wins over its bloc's at the same instant.
                let own = |index: usize| negotiation.stances[index].party == negotiation.parties[party].id;
                stances.sort_by_key(|(instant, index)| (*instant, own(*index)));
            }
        }
        let red_lines = negotiation
            .red_lines
            .iter()
            .map(|red_line| (timeline.moment(&red_line.since), red_line.until.as_ref().map(|until| timeline.moment(until))))
            .collect();
        Record { negotiation, timeline, items, red_lines, party_index }
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

    pub(crate) fn red_line_in_force(&self, index: usize, at: Instant) -> bool {
        let (since, until) = self.red_lines[index];
        crate::timeline::in_force(since, until, at)
    }

    /// The item's text, title, proposed values and removal flag at a version.
    pub(crate) fn item_at(&self, index: usize, version: usize) -> ItemVersion<'n> {
        let item = &self.negotiation.items[index];
        let mut current =
            ItemVersion { title: &item.title, text: &item.text, proposes: item.proposes.clone(), removed: false, revised_in: None };
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

    /// The framework's proposed outcome at `at`: issue → (value, item number).
    pub(crate) fn proposed_at(&self, at: Instant) -> Vec<ProposedValue> {
        let mut proposed = Vec::new();
        for (index, item) in self.negotiation.items.iter().enumerate() {
            if !self.introduced_by(index, at) {
                continue;
            }
            let version = self.item_at(index, self.version_at(index, at));
            if version.removed {
                continue;
            }
            for (issue, value) in version.proposes {
                proposed.push(ProposedValue { issue, value, item: item.number });
            }
        }
        proposed
    }

    /// Evaluates red line `index` against a proposed outcome.
    pub(crate) fn check_red_line(&self, index: usize, proposed: &[ProposedValue]) -> RedLineCheck {
        let red_line = &self.negotiation.red_lines[index];
        let value_of = |issue: &str| proposed.iter().find(|value| value.issue == issue).map(|value| value.value.clone());
        let kind_of = |issue: &str| -> Option<IssueKind> { self.negotiation.issue(issue).map(|issue| issue.kind.clone()) };
        let holds = red_line.expr.evaluate_with(&value_of, &kind_of);
        let mut items: Vec<u32> = red_line
            .expr
            .issues()
            .iter()
            .filter_map(|issue| proposed.iter().find(|value| value.issue == *issue).map(|value| value.item))
            .collect();
        items.sort_unstable();
        items.dedup();
        RedLineCheck {
            id: red_line.id.clone(),
            party: red_line.party.clone(),
            expression: red_line.expression.clone(),
            description: red_line.description.clone(),
            holds,
            items,
        }
    }

    /// Status of every item and of the framework at a point, with its deadlines.
    pub fn status(&self, as_of: &Point) -> Status {
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
                let on_version = self.version_at(index, given_at);
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
            let (state, reasons) = if current.removed {
                (ItemState::Removed, Vec::new())
            } else {
                judge(negotiation, item.number, &stances, &red_lines, &proposed)
            };
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
            });
        }

        let count = |state: ItemState| items.iter().filter(|item| item.state == state).count();
        let removed = count(ItemState::Removed);
        let in_framework = items.len() - removed;
        let agreed = count(ItemState::Agreed);
        let framework = FrameworkStatus {
            accepted: in_framework > 0 && agreed == in_framework,
            items: in_framework,
            agreed,
            open: count(ItemState::Open),
            disputed: count(ItemState::Disputed),
            blocked: count(ItemState::Blocked),
            removed,
        };
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
}

fn judge(
    negotiation: &Negotiation,
    number: u32,
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
        if check.holds == Some(false) && check.items.contains(&number) && negotiation.holder_signs(&check.party) {
            let red_line = negotiation.red_lines.iter().find(|red_line| red_line.id == check.id);
            let values = red_line
                .map(|red_line| {
                    red_line
                        .expr
                        .issues()
                        .iter()
                        .filter_map(|issue| {
                            proposed.iter().find(|value| value.issue == *issue).map(|value| (value.issue.clone(), value.value.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            blocking.push(Reason::RedLineViolated {
                party: check.party.clone(),
                red_line: check.id.clone(),
                expression: check.expression.clone(),
                values,
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
