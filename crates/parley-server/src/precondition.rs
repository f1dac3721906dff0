//! Per-entity preconditions: when a write that names an older head of its writer still holds.
//!
//! A write names the writer's head it was made against (`If-Match`). When that is the writer's
//! head now, the write goes ahead. When it is an older head of the writer that this process handed
//! out (and still remembers), the write goes ahead too as long as nothing it depends on changed, as
//! the writer sees it, between that head and now; [`depends`] says what each kind of write depends
//! on (docs/api.md, "Preconditions"). Both states are compared through the writer's own view of the
//! record, so an event hidden from the writer never makes its write stale, nor saves it from being
//! stale: the answer is the one a server holding only the writer's export would give. A head this
//! process does not know (another process handed it out, or it was forgotten) is stale, as before.

use std::sync::Arc;

use parley_core::model::{Negotiation, Stance};
use parley_core::visibility::{StanceSight, Viewer, into_view};
use parley_store::Store;

use crate::auth::Caller;
use crate::cache::FoldCache;
use crate::error::ApiError;
use crate::reads::Head;
use crate::writes::Change;

/// What a write depends on, as compared between two heads: the compact JSON of the entities, and
/// a stance write's stances one by one, each equal to another when it is the same shared stance
/// or has the same compact JSON. (Equal JSON is what equal entities give; comparing the text
/// rather than parsed values can only find more differences, never fewer.)
#[derive(Debug)]
pub struct Depends {
    json: Vec<u8>,
    stances: Vec<Arc<Stance>>,
}

impl PartialEq for Depends {
    fn eq(&self, other: &Depends) -> bool {
        let same = |one: &Arc<Stance>, two: &Arc<Stance>| {
            Arc::ptr_eq(one, two) || matches!((serde_json::to_vec(one), serde_json::to_vec(two)), (Ok(one), Ok(two)) if one == two)
        };
        self.json == other.json
            && self.stances.len() == other.stances.len()
            && self.stances.iter().zip(&other.stances).all(|(one, two)| same(one, two))
    }
}

/// What `change` depends on in `seen` (the writer's view of the record): the entities whose change
/// since the head the writer named makes the write stale. `None` for a write that depends on
/// everything (an import), which only the writer's current head admits.
pub fn depends(change: &Change, seen: &Negotiation) -> Option<Depends> {
    let item = |number: u32, document: &str| {
        seen.items.iter().filter(|item| item.number == number && item.document == document).collect::<Vec<_>>()
    };
    let (json, stances) = match change {
        // The party's stances on that item, and the item (its text and versions).
        Change::Stance(stance) => {
            let stances = seen
                .stances
                .iter()
                .filter(|held| held.party == stance.party && held.item == stance.item && held.document == stance.document)
                .cloned()
                .collect();
            (compact(&item(stance.item, &stance.document)), stances)
        }
        // The item revised.
        Change::Revision(request) => (compact(&item(request.item, &request.document)), Vec::new()),
        // The party's red lines (and any with the same id).
        Change::RedLine(red_line) => {
            let held: Vec<_> = seen.red_lines.iter().filter(|held| held.party == red_line.party || held.id == red_line.id).collect();
            (compact(&held), Vec::new())
        }
        // The statement with the same id.
        Change::Statement(statement) => {
            (compact(&seen.statements.iter().filter(|held| held.id == statement.id).collect::<Vec<_>>()), Vec::new())
        }
        // The party's demands on that issue.
        Change::Demand(demand) => (
            compact(&seen.demands.iter().filter(|held| held.party == demand.party && held.issue == demand.issue).collect::<Vec<_>>()),
            Vec::new(),
        ),
        // The party's preferences.
        Change::Preference(preference) => {
            (compact(&seen.preferences.iter().filter(|held| held.party == preference.party).collect::<Vec<_>>()), Vec::new())
        }
        // The rounds (they are ordered by their dates).
        Change::Round(_) => (compact(&seen.rounds), Vec::new()),
        Change::Import(_) => return None,
    };
    Some(Depends { json: json?, stances })
}

/// The compact JSON of `value`, or `None` if it cannot be written.
fn compact<T: serde::Serialize>(value: &T) -> Option<Vec<u8>> {
    serde_json::to_vec(value).ok()
}

/// Where a write stands: the chain head it is tried at and the record there.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    /// The negotiation's id.
    pub id: &'a str,
    /// The chain head.
    pub head: &'a Head,
    /// The record folded at it.
    pub current: &'a Arc<Negotiation>,
}

/// Whether `change`, made against the writer's head `expected` (not its head now), still holds
/// at `at`.
pub fn holds(
    cache: &FoldCache,
    store: &mut dyn Store,
    at: At<'_>,
    caller: &Caller,
    expected: &str,
    change: &Change,
) -> Result<bool, ApiError> {
    let At { id, head, current } = at;
    let viewer_name = caller.viewer();
    let viewer = parley_service::viewer(current, viewer_name).map_err(ApiError::service)?;
    let everything = viewer == Viewer::Everything;
    // A viewer who sees everything may name the chain head by number; any other only by a view
    // head this process handed out to it (and whose event is still in the log: not another
    // database's).
    let earlier = match expected.parse::<u64>() {
        Ok(seq) if everything && seq > 0 && seq < head.seq => {
            store.hash_at(id, seq).map_err(ApiError::store)?.map(|hash| Head { seq, hash })
        }
        _ => cache.handed_out(id, viewer_name, expected).filter(|earlier| earlier.seq < head.seq),
    };
    let Some(earlier) = earlier else { return Ok(false) };
    if store.hash_at(id, earlier.seq).map_err(ApiError::store)?.as_deref() != Some(earlier.hash.as_str()) {
        return Ok(false);
    }
    if matches!(change, Change::Import(_)) {
        return Ok(false);
    }
    let before = match cache.earlier(id, &earlier) {
        Some(before) => before,
        None if everything => Arc::new(store.negotiation(id, Some(earlier.seq)).map_err(ApiError::store)?),
        None => return Ok(false),
    };
    // A stance write's party's stances on its item, then and now (from the grouped stances).
    let (now_stances, then_stances) = match change {
        Change::Stance(stance) => cache.likes().on_item(id, current, &before, &stance.party, stance.item, &stance.document),
        _ => (Vec::new(), Vec::new()),
    };
    let Some(now) = depends(change, &seen(change, current, &viewer, now_stances)) else { return Ok(false) };
    let before_viewer = parley_service::viewer(&before, viewer_name).map_err(ApiError::service)?;
    Ok(depends(change, &seen(change, &before, &before_viewer, then_stances)).as_ref() == Some(&now))
}

/// What [`depends`] needs of `viewer`'s view of `negotiation`, given `stances`, the ones it may
/// look at (a stance write's party's on its item; none for any other write). A view only drops
/// stances, each for what it is and the rest of the record, never for the other stances, so the
/// ones kept are exactly the ones the whole view would show. A stance write looks at its item and
/// those stances alone: they are viewed by a [`StanceSight`], with no copy of the record taken
/// (this runs for every write made against an older head). Any other write gets the view of the
/// record with those stances.
fn seen(change: &Change, negotiation: &Negotiation, viewer: &Viewer, stances: Vec<Arc<Stance>>) -> Negotiation {
    match change {
        Change::Stance(stance) => {
            let sight = StanceSight::new(negotiation, viewer);
            let items = sight.items(negotiation, stance.item, &stance.document);
            Negotiation { items, stances: sight.view(&stances).into(), ..Negotiation::default() }
        }
        _ => into_view(negotiation.with_stances(stances.into()), viewer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a stance write depends on, viewed without a copy of the record, is what the view of
    /// the whole record with those stances gives: on the bundled records with secret channels,
    /// readouts and private entities, for every viewer and every party, item and document a
    /// stance names (and an item that does not exist).
    #[test]
    fn a_stance_write_depends_on_what_the_writers_whole_view_shows() {
        let records = [
            include_str!("../../../scenarios/ukraine-2025.toml"),
            include_str!("../tests/data/ukraine-2025-private.toml"),
            include_str!("../../parley-cli/tests/cases/channels.toml"),
            include_str!("../../parley-cli/tests/cases/visibility.toml"),
            include_str!("../../parley-cli/tests/cases/readouts.toml"),
            include_str!("../../parley-cli/tests/cases/blocs.toml"),
            include_str!("../../parley-cli/tests/cases/documents.toml"),
        ];
        let mut checked = 0;
        for text in records {
            let whole = parley_core::scenario::parse(text).expect("bundled scenario").negotiation;
            let viewers = [Viewer::Everything, Viewer::Public, Viewer::Mediator]
                .into_iter()
                .chain(whole.parties.iter().map(|party| Viewer::Party(party.id.clone())));
            for viewer in viewers {
                let mut written: Vec<Stance> = whole.stances.iter().map(|stance| Stance::clone(stance)).collect();
                written.extend(whole.stances.first().map(|stance| Stance { item: 999, ..Stance::clone(stance) }));
                for stance in written {
                    let on_item: Vec<Arc<Stance>> = whole
                        .stances
                        .iter()
                        .filter(|held| held.party == stance.party && held.item == stance.item && held.document == stance.document)
                        .cloned()
                        .collect();
                    let change = Change::Stance(stance);
                    let whole_view = into_view(whole.with_stances(on_item.clone().into()), &viewer);
                    let expected = depends(&change, &whole_view).expect("a stance write depends on something");
                    let seen = seen(&change, &whole, &viewer, on_item);
                    assert_eq!(depends(&change, &seen), Some(expected), "{viewer:?} on {}", whole.id);
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }
}
