//! The stances of the record at the chain head grouped by what a new stance's event key counts
//! (party, item, document and note), so that a stance write's event is built from the few stances
//! like it instead of from a pass over every stance of a long record.
//!
//! A stance's event is keyed by its content and by how many equal stances the record already holds
//! ([`parley_store::event::stance_added`]). Counting them by a pass over the whole list costs a
//! memory access per stance, for every write: in a record of tens of thousands of stances, more
//! than the rest of the write. A grouping belongs to one list of stances. It is carried to the next
//! record's list when that list begins with exactly the stances of the old one (the same shared
//! stances, compared by address, which the grouping keeps alive so that no address is reused) and
//! only the stances after them are added; any other list is grouped anew. So a grouping is always
//! the grouping of the list asked about, and the event is the one the pass would build.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

use parley_core::model::{Negotiation, Stance};
use parley_store::NewEvent;

/// How many negotiations' groupings are kept.
const MAX_KEPT: usize = 64;

/// The groupings of this process's negotiations, by id.
#[derive(Debug, Default)]
pub struct Likes {
    by_negotiation: Mutex<HashMap<String, Grouping>>,
}

/// One list of stances, grouped.
#[derive(Debug)]
struct Grouping {
    /// The list grouped, in order.
    stances: Vec<Arc<Stance>>,
    /// The places in it of the stances of each group, in order, by the group's hash.
    groups: HashMap<u64, Vec<usize>>,
    /// The same by party, item and document alone (what a stance write depends on).
    on_item: HashMap<u64, Vec<usize>>,
    hasher: RandomState,
}

impl Grouping {
    fn of(stances: &[Arc<Stance>]) -> Grouping {
        let mut grouping = Grouping {
            stances: Vec::with_capacity(stances.len()),
            groups: HashMap::new(),
            on_item: HashMap::new(),
            hasher: RandomState::new(),
        };
        grouping.add(stances);
        grouping
    }

    fn key(&self, stance: &Stance) -> u64 {
        self.hasher.hash_one((&stance.party, stance.item, &stance.document, &stance.note))
    }

    fn item_key(&self, party: &str, item: u32, document: &str) -> u64 {
        self.hasher.hash_one((party, item, document))
    }

    fn add(&mut self, stances: &[Arc<Stance>]) {
        for stance in stances {
            let place = self.stances.len();
            self.groups.entry(self.key(stance)).or_default().push(place);
            self.on_item.entry(self.item_key(&stance.party, stance.item, &stance.document)).or_default().push(place);
            self.stances.push(stance.clone());
        }
    }

    /// Whether `stances` are exactly the first stances grouped.
    fn begun_by(&self, stances: &[Arc<Stance>]) -> bool {
        stances.len() <= self.stances.len() && stances.iter().zip(&self.stances).all(|(then, kept)| Arc::ptr_eq(then, kept))
    }

    /// Whether `stances` begins with exactly the stances grouped.
    fn continued_by(&self, stances: &[Arc<Stance>]) -> bool {
        stances.len() >= self.stances.len() && self.stances.iter().zip(stances).all(|(kept, now)| Arc::ptr_eq(kept, now))
    }

    /// The stances that may be like `stance`: every one with its party, item, document and note
    /// (and any others whose group hashes the same), in order.
    fn like<'a>(&'a self, stance: &Stance) -> impl Iterator<Item = &'a Stance> {
        self.groups.get(&self.key(stance)).into_iter().flatten().map(|&place| &*self.stances[place])
    }
}

/// The grouping of `stances` (negotiation `id`'s): the one kept, carried forward to them when they
/// continue its list, else made anew.
fn grouping_of<'a>(groupings: &'a mut HashMap<String, Grouping>, id: &str, stances: &[Arc<Stance>]) -> &'a Grouping {
    if groupings.len() >= MAX_KEPT && !groupings.contains_key(id) {
        groupings.clear();
    }
    match groupings.get_mut(id) {
        Some(grouping) if grouping.continued_by(stances) => {
            let known = grouping.stances.len();
            grouping.add(&stances[known..]);
        }
        _ => {
            groupings.insert(id.to_owned(), Grouping::of(stances));
        }
    }
    groupings.get(id).expect("kept or just inserted")
}

impl Likes {
    /// The event adding `stance` at the end of `current`'s stances (the record of negotiation
    /// `id`): exactly [`parley_store::event::stance_added`]'s.
    pub fn stance_added(&self, id: &str, current: &Negotiation, stance: &Stance) -> NewEvent {
        let Ok(mut groupings) = self.by_negotiation.lock() else {
            return parley_store::event::stance_added(current, stance);
        };
        let grouping = grouping_of(&mut groupings, id, &current.stances);
        parley_store::event::stance_added_among(grouping.like(stance), stance)
    }

    /// The stances of `party` on `item` of `document` in `current` (negotiation `id`'s record at
    /// the chain head) and in `earlier` (an earlier record of it), in order: exactly what a pass
    /// over each record's stances keeps. `earlier`'s come from the grouping when its stances are
    /// the first ones of `current` (nothing but stances added since), else from such a pass.
    pub fn on_item(
        &self,
        id: &str,
        current: &Negotiation,
        earlier: &Negotiation,
        party: &str,
        item: u32,
        document: &str,
    ) -> (Vec<Arc<Stance>>, Vec<Arc<Stance>>) {
        let matches = |held: &Stance| held.party == party && held.item == item && held.document == document;
        let pass = |negotiation: &Negotiation| negotiation.stances.iter().filter(|held| matches(held)).cloned().collect::<Vec<_>>();
        let Ok(mut groupings) = self.by_negotiation.lock() else {
            return (pass(current), pass(earlier));
        };
        let grouping = grouping_of(&mut groupings, id, &current.stances);
        let places = grouping.on_item.get(&grouping.item_key(party, item, document)).map_or(&[][..], Vec::as_slice);
        let upto = |end: usize| {
            places
                .iter()
                .take_while(|&&place| place < end)
                .map(|&place| &grouping.stances[place])
                .filter(|held| matches(held))
                .cloned()
                .collect()
        };
        let now = upto(current.stances.len());
        let then = if grouping.begun_by(&earlier.stances) { upto(earlier.stances.len()) } else { pass(earlier) };
        (now, then)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parley_core::model::{Negotiation, Stance};
    use proptest::prelude::*;

    use super::Likes;

    fn ukraine() -> Negotiation {
        let text = include_str!("../../../scenarios/ukraine-2025.toml");
        parley_core::scenario::parse(text).unwrap().negotiation
    }

    /// A stance like one of the record's, with a note and item from small ranges, so that equal
    /// stances (and equal ones but for one field) occur often.
    fn variant(base: &Stance, item: u32, note: u8, party: u8, parties: &[String]) -> Stance {
        let mut stance = base.clone();
        stance.item = item;
        stance.note = if note == 0 { String::new() } else { format!("note {note}") };
        stance.party = parties[usize::from(party) % parties.len()].clone();
        stance
    }

    #[derive(Debug, Clone)]
    enum Step {
        /// Append this stance (as a write would).
        Append(u32, u8, u8),
        /// Replace the stance at this place (the list no longer continues the grouped one).
        Replace(usize, u32, u8, u8),
        /// Remove the stance at this place.
        Remove(usize),
        /// Ask for the event of this stance without adding it.
        Ask(u32, u8, u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (1..4u32, 0..3u8, 0..3u8).prop_map(|(item, note, party)| Step::Append(item, note, party)),
            1 => (0..64usize, 1..4u32, 0..3u8, 0..3u8).prop_map(|(at, item, note, party)| Step::Replace(at, item, note, party)),
            1 => (0..64usize).prop_map(Step::Remove),
            3 => (1..4u32, 0..3u8, 0..3u8).prop_map(|(item, note, party)| Step::Ask(item, note, party)),
        ]
    }

    /// What a pass over every stance keeps for a stance write on `stance`'s item.
    fn on_item(negotiation: &Negotiation, stance: &Stance) -> Vec<Arc<Stance>> {
        let on = |held: &&Arc<Stance>| held.party == stance.party && held.item == stance.item && held.document == stance.document;
        negotiation.stances.iter().filter(on).cloned().collect()
    }

    /// The stances' addresses: the same stances, not only equal ones.
    fn ids(stances: &[Arc<Stance>]) -> Vec<*const Stance> {
        stances.iter().map(Arc::as_ptr).collect()
    }

    proptest! {
        /// Whatever happens to the list between two writes, the event is the one a pass over
        /// every stance builds.
        #[test]
        fn the_event_is_the_one_a_pass_over_every_stance_builds(steps in proptest::collection::vec(step(), 1..60)) {
            let mut negotiation = ukraine();
            let base = (*negotiation.stances[0]).clone();
            let parties: Vec<String> = negotiation.parties.iter().map(|party| party.id.clone()).collect();
            negotiation.stances.truncate(5);
            let mut earlier = negotiation.clone();
            let likes = Likes::default();
            for step in steps {
                let asked = match step {
                    Step::Append(item, note, party) | Step::Ask(item, note, party) => Some(variant(&base, item, note, party, &parties)),
                    Step::Replace(at, item, note, party) => {
                        if !negotiation.stances.is_empty() {
                            let at = at % negotiation.stances.len();
                            negotiation.stances[at] = Arc::new(variant(&base, item, note, party, &parties));
                        }
                        None
                    }
                    Step::Remove(at) => {
                        if !negotiation.stances.is_empty() {
                            let at = at % negotiation.stances.len();
                            negotiation.stances.remove(at);
                        }
                        None
                    }
                };
                if let Some(stance) = asked {
                    let event = likes.stance_added(&negotiation.id, &negotiation, &stance);
                    prop_assert_eq!(&event, &parley_store::event::stance_added(&negotiation, &stance));
                    // A stance write's stances on its item, now and at a head some steps before.
                    let (now, then) = likes.on_item(&negotiation.id, &negotiation, &earlier, &stance.party, stance.item, &stance.document);
                    prop_assert_eq!(ids(&now), ids(&on_item(&negotiation, &stance)));
                    prop_assert_eq!(ids(&then), ids(&on_item(&earlier, &stance)));
                    if matches!(step, Step::Ask(..)) {
                        earlier = negotiation.clone();
                    }
                    if matches!(step, Step::Append(..)) {
                        negotiation.stances.push(Arc::new(stance));
                    }
                }
            }
        }
    }

    #[test]
    fn a_list_of_copies_is_grouped_anew() {
        // Equal stances at new addresses: the grouping must not be carried over by content.
        let mut negotiation = ukraine();
        let likes = Likes::default();
        let stance = (*negotiation.stances[0]).clone();
        let first = likes.stance_added(&negotiation.id, &negotiation, &stance);
        negotiation.stances = negotiation.stances.iter().map(|held| Arc::new((**held).clone())).collect();
        negotiation.stances.push(Arc::new(stance.clone()));
        let second = likes.stance_added(&negotiation.id, &negotiation, &stance);
        assert_ne!(first.key, second.key);
        assert_eq!(second, parley_store::event::stance_added(&negotiation, &stance));
    }
}
