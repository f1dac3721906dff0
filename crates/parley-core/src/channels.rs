//! Secret channels: rounds, items and statements that not everyone may know of, and what their
//! absence takes with it (`docs/status.md`, "Secret channels").
//!
//! A round is seen by its participants and its host, and by whoever its visibility admits. For a
//! viewer who may not see a round: the round is absent, and so are the revisions made in it
//! (the item reads as its versions from visible rounds make it: an outsider sees the version before
//! a secret revision), the stances given in it, the items introduced in it (entirely, as hidden
//! items), the statements made in it, the red lines drawn in it, and the claims about a version
//! it produced; a red line dropped in it still stands for the outsider, who never learnt that it
//! was dropped (nor how or why). The readouts given, demands stated, documents' lifecycle events and
//! implementation assessments dated in a hidden round are absent too. A hidden item is absent with
//! its stances, the claims about it and the deadline tied to it (the deadline stays, judged as if
//! tied to no item). A hidden statement is absent.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::Hash;

use crate::model::{ClaimKind, Item, Moment, Negotiation, Round, Statement, Visibility};
use crate::readout::Readout;
use crate::visibility::{Sight, Viewer};

/// Whether a viewer may know of a round: public, or it is a participant or the host, or the
/// round's visibility admits it.
fn sees_round(viewer: &Viewer, sight: &Sight<'_>, round: &Round) -> bool {
    let participant = matches!(viewer, Viewer::Party(party) if round.participants.contains(party) || round.host.as_ref() == Some(party));
    round.visibility.is_public() || participant || sight.sees(round.party.as_deref().unwrap_or(""), round.visibility, round.bloc.as_deref())
}

/// The ids of the rounds of `negotiation` the viewer may not know of.
pub(crate) fn hidden_rounds<'n>(negotiation: &'n Negotiation, sight: &Sight<'_>) -> HashSet<&'n str> {
    negotiation.rounds.iter().filter(|round| !sees_round(sight.viewer(), sight, round)).map(|round| round.id.as_str()).collect()
}

/// The items of `negotiation` the viewer may not see, by document and number (the document is
/// empty in a file without documents): not visible to it, or introduced in a hidden round.
pub(crate) fn hidden_items<'n>(negotiation: &'n Negotiation, sight: &Sight<'_>, hidden_rounds: &HashSet<&str>) -> HashSet<(&'n str, u32)> {
    negotiation
        .items
        .iter()
        .filter(|item| item_hidden(item, sight, hidden_rounds))
        .map(|item| (item.document.as_str(), item.number))
        .collect()
}

/// Whether the viewer may not see `item`: not visible to it, or introduced in one of
/// `hidden_rounds`.
fn item_hidden<S: Borrow<str> + Hash + Eq>(item: &Item, sight: &Sight<'_>, hidden_rounds: &HashSet<S>) -> bool {
    matches!(&item.introduced, Moment::Round(round) if hidden_rounds.contains(round.as_str()))
        || !sight.sees(item.by.as_deref().unwrap_or(""), item.visibility, None)
}

/// What a viewer may see of a record's secret channels, for deciding entity by entity (an event
/// log shown to a viewer) what [`crate::visibility::into_view`] decides for a whole record.
#[derive(Debug)]
pub struct Channels<'v> {
    sight: Sight<'v>,
    hidden_rounds: HashSet<String>,
}

impl<'v> Channels<'v> {
    /// The channels of `negotiation` (its parties, blocs and rounds are what count) for `viewer`.
    pub fn new(negotiation: &Negotiation, viewer: &'v Viewer) -> Channels<'v> {
        let sight = Sight::of(viewer, negotiation);
        let hidden_rounds = hidden_rounds(negotiation, &sight).into_iter().map(str::to_owned).collect();
        Channels { sight, hidden_rounds }
    }

    /// Whether something that happened at `moment` is in a round the viewer may not know of.
    pub fn in_hidden_round(&self, moment: &Moment) -> bool {
        matches!(moment, Moment::Round(round) if self.hidden_rounds.contains(round))
    }

    pub fn round(&self, round: &Round) -> bool {
        !self.hidden_rounds.contains(&round.id) && sees_round(self.sight.viewer(), &self.sight, round)
    }

    /// The item as the viewer's view leaves it: `None` when it is hidden (not visible, or introduced
    /// in a hidden round), else without its revisions and readouts made in hidden rounds and the
    /// readouts the viewer may not see.
    pub fn viewed_item(&self, mut item: Item) -> Option<Item> {
        if item_hidden(&item, &self.sight, &self.hidden_rounds) {
            return None;
        }
        strip_item(&mut item, &self.hidden_rounds, &self.sight);
        Some(item)
    }

    pub fn statement(&self, statement: &Statement) -> bool {
        self.sight.sees(statement.party.as_deref().unwrap_or(""), statement.visibility, statement.bloc.as_deref())
            && !statement.round.as_ref().is_some_and(|round| self.hidden_rounds.contains(round))
    }

    /// Whether the viewer may see something of `owner` with `visibility`, shared with `bloc`.
    pub fn owned(&self, owner: &str, visibility: Visibility, bloc: Option<&str>) -> bool {
        self.sight.sees(owner, visibility, bloc)
    }
}

/// An item the viewer may see, as its view leaves it: without its revisions and readouts made in
/// the rounds `hidden_rounds` and the readouts the viewer may not see.
pub(crate) fn strip_item<S: Borrow<str> + Hash + Eq>(item: &mut Item, hidden_rounds: &HashSet<S>, sight: &Sight<'_>) {
    item.revisions.retain(|revision| !hidden_rounds.contains(revision.round.as_str()));
    item.readouts.retain(|readout| keeps_readout(readout, hidden_rounds, sight));
}

/// Whether a view keeps a readout of an item it keeps: given in no round in `hidden_rounds`, and
/// its visibility admits the viewer.
pub(crate) fn keeps_readout<S: Borrow<str> + Hash + Eq>(readout: &Readout, hidden_rounds: &HashSet<S>, sight: &Sight<'_>) -> bool {
    !matches!(&readout.at, Moment::Round(round) if hidden_rounds.contains(round.as_str()))
        && sight.sees(&readout.party, readout.visibility, None)
}

/// Removes from `negotiation` every channel the viewer may not see, and what hangs on it, except
/// the stances given in them or on them ([`crate::visibility::StanceSight`] decides those) and
/// what the items that stay lose ([`strip_item`]). Returns the ids of the rounds removed.
pub(crate) fn hide(negotiation: &mut Negotiation, sight: &Sight<'_>) -> HashSet<String> {
    let hidden: HashSet<&str> = hidden_rounds(negotiation, sight);
    let hidden_items: HashSet<(String, u32)> =
        hidden_items(negotiation, sight, &hidden).into_iter().map(|(document, number)| (document.to_owned(), number)).collect();
    let hidden_rounds: HashSet<String> = hidden.into_iter().map(str::to_owned).collect();
    let in_hidden = |moment: &Moment| matches!(moment, Moment::Round(round) if hidden_rounds.contains(round));
    let is_hidden = |document: &str, number: u32| hidden_items.contains(&(document.to_owned(), number));
    if hidden_rounds.is_empty()
        && hidden_items.is_empty()
        && negotiation.statements.iter().all(|statement| statement.visibility.is_public())
    {
        return hidden_rounds;
    }
    negotiation.rounds.retain(|round| !hidden_rounds.contains(&round.id));
    negotiation.items.retain(|item| !is_hidden(&item.document, item.number));
    negotiation.red_lines.retain(|red_line| !in_hidden(&red_line.since));
    for red_line in &mut negotiation.red_lines {
        if red_line.until.as_ref().is_some_and(in_hidden) {
            // Still standing for the outsider, who never learnt how or why it ended.
            red_line.until = None;
            red_line.ending = crate::model::Ending::Lapsed;
            red_line.reason.clear();
            red_line.replaced_by = None;
        }
    }
    // Everything else dated in a hidden round: demands stated, documents' lifecycle events,
    // implementation assessments.
    negotiation.demands.retain(|demand| !in_hidden(&demand.at));
    for document in &mut negotiation.documents {
        document.events.retain(|event| !in_hidden(&event.at));
    }
    negotiation.implementation.retain(|assessment| !in_hidden(&assessment.at));
    negotiation.statements.retain(|statement| {
        !statement.round.as_ref().is_some_and(|round| hidden_rounds.contains(round))
            && sight.sees(statement.party.as_deref().unwrap_or(""), statement.visibility, statement.bloc.as_deref())
    });
    for statement in &mut negotiation.statements {
        statement.claims.retain(|claim| match &claim.kind {
            ClaimKind::Accepts { version: Some(round), .. } => !hidden_rounds.contains(round),
            ClaimKind::ItemAgreed { item, document, version } | ClaimKind::Stance { item, document, version, .. } => {
                !is_hidden(document, *item) && !version.as_ref().is_some_and(|round| hidden_rounds.contains(round))
            }
            ClaimKind::Value(claim) => !claim.version.as_ref().is_some_and(|round| hidden_rounds.contains(round)),
            _ => true,
        });
    }
    for deadline in &mut negotiation.deadlines {
        // A deadline tied to a hidden item stays, tied to no item.
        if hidden_items.iter().any(|(document, number)| deadline.names_item(document, *number)) {
            deadline.untie();
        }
    }
    hidden_rounds
}
