//! Secret channels: rounds, items and statements that not everyone may know of, and what their
//! absence takes with it (`docs/status.md`, "Secret channels").
//!
//! A round is seen by its participants and its host, and by whoever its visibility admits. For a
//! viewer who may not see a round: the round is absent, and so are the revisions made in it
//! (the item reads as its versions from visible rounds make it: an outsider sees the version before
//! a secret revision), the stances given in it, the items introduced in it (entirely, as hidden
//! items), the statements made in it, the red lines drawn in it, and the claims about a version
//! it produced; a red line dropped in it still stands for the outsider, who never learnt that it
//! was dropped. A hidden item is absent with its stances, the claims about it and the deadline
//! tied to it (the deadline stays, judged as if tied to no item). A hidden statement is absent.

use std::collections::HashSet;

use crate::model::{ClaimKind, Moment, Negotiation};
use crate::visibility::{Sight, Viewer};

/// Removes from `negotiation` every channel the viewer may not see, and what hangs on it.
pub(crate) fn hide(negotiation: &mut Negotiation, viewer: &Viewer, sight: &Sight<'_>) {
    let participant = |round: &crate::model::Round| matches!(viewer, Viewer::Party(party) if round.participants.contains(party) || round.host.as_ref() == Some(party));
    let hidden_rounds: HashSet<String> = negotiation
        .rounds
        .iter()
        .filter(|round| {
            !round.visibility.is_public()
                && !participant(round)
                && !sight.sees(round.party.as_deref().unwrap_or(""), round.visibility, round.bloc.as_deref())
        })
        .map(|round| round.id.clone())
        .collect();
    let in_hidden = |moment: &Moment| matches!(moment, Moment::Round(round) if hidden_rounds.contains(round));
    let hidden_items: HashSet<u32> = negotiation
        .items
        .iter()
        .filter(|item| in_hidden(&item.introduced) || !sight.sees(item.by.as_deref().unwrap_or(""), item.visibility, None))
        .map(|item| item.number)
        .collect();
    if hidden_rounds.is_empty()
        && hidden_items.is_empty()
        && negotiation.statements.iter().all(|statement| statement.visibility.is_public())
    {
        return;
    }
    negotiation.rounds.retain(|round| !hidden_rounds.contains(&round.id));
    negotiation.items.retain(|item| !hidden_items.contains(&item.number));
    for item in &mut negotiation.items {
        item.revisions.retain(|revision| !hidden_rounds.contains(&revision.round));
    }
    negotiation.stances.retain(|stance| !hidden_items.contains(&stance.item) && !in_hidden(&stance.at));
    negotiation.red_lines.retain(|red_line| !in_hidden(&red_line.since));
    for red_line in &mut negotiation.red_lines {
        if red_line.until.as_ref().is_some_and(in_hidden) {
            red_line.until = None;
        }
    }
    negotiation.statements.retain(|statement| {
        !statement.round.as_ref().is_some_and(|round| hidden_rounds.contains(round))
            && sight.sees(statement.party.as_deref().unwrap_or(""), statement.visibility, statement.bloc.as_deref())
    });
    for statement in &mut negotiation.statements {
        statement.claims.retain(|claim| match &claim.kind {
            ClaimKind::Accepts { version: Some(round), .. } => !hidden_rounds.contains(round),
            ClaimKind::ItemAgreed { item } | ClaimKind::Stance { item, .. } => !hidden_items.contains(item),
            _ => true,
        });
    }
    for deadline in &mut negotiation.deadlines {
        if deadline.item.is_some_and(|item| hidden_items.contains(&item)) {
            deadline.item = None;
        }
    }
}
