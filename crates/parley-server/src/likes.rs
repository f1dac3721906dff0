//! The stances of the record at the chain head grouped by what a new stance's event key counts
//! (party, item, document and note), so that a stance write's event is built from the few stances
//! like it instead of from a pass over every stance of a long record.
//!
//! A stance's event is keyed by its content and by how many equal stances the record already holds
//! ([`parley_store::event::stance_added`]). Counting them by a pass over the whole list costs a
//! memory access per stance, for every write: in a record of tens of thousands of stances, more
//! than the rest of the write. A grouping belongs to one list of stances. It is carried to the next
//! record's list when that list begins with exactly the stances of the old one (the same shared
//! stances, compared by address, which the grouping keeps alive so that no address is reused;
//! chunks the two lists share are the same without looking inside) and only the stances after
//! them are added; any other list is grouped anew. So a grouping is always
//! the grouping of the list asked about, and the event is the one the pass would build.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};

use parley_core::model::{Negotiation, Stance, Stances};
use parley_store::NewEvent;

/// How many negotiations' groupings are kept.
const MAX_KEPT: usize = 64;

/// How many records each grouping remembers having grouped.
const MAX_RECORDS: usize = 64;

/// The groupings of this process's negotiations, by id.
#[derive(Debug, Default)]
pub struct Likes {
    by_negotiation: Mutex<HashMap<String, Grouping>>,
}

/// A stance's party, item and document: what a stance write depends on.
type OnItem = (String, u32, String);

/// One list of stances, grouped.
#[derive(Debug, Default)]
struct Grouping {
    /// The list grouped, in order: a copy of the last record's list, sharing its chunks.
    stances: Stances,
    /// The places in it of the stances with each party, item, document and note, in order.
    like: HashMap<(OnItem, String), Vec<usize>>,
    /// The same by party, item and document alone.
    on_item: HashMap<OnItem, Vec<usize>>,
    /// Records whose stances are the first ones of the list, and how many they hold: the records
    /// it was made or carried forward for. Held weakly: a record's address is not reused while
    /// it is held, and an address met here again is that record.
    records: VecDeque<(Weak<Negotiation>, usize)>,
}

fn on_item(stance: &Stance) -> OnItem {
    (stance.party.clone(), stance.item, stance.document.clone())
}

impl Grouping {
    /// Groups the stances of `stances` after the list's (which `stances` begins with), and takes
    /// `stances` as the list.
    fn add(&mut self, stances: &Stances) {
        for (place, stance) in stances.iter().enumerate().skip(self.stances.len()) {
            self.like.entry((on_item(stance), stance.note.clone())).or_default().push(place);
            self.on_item.entry(on_item(stance)).or_default().push(place);
        }
        self.stances = stances.clone();
    }

    /// How many stances `record` holds, when they are the first ones of the list: remembered, or
    /// found by comparing the stances' addresses (and then remembered).
    fn begun_by(&mut self, record: &Arc<Negotiation>) -> Option<usize> {
        let known = self.records.iter().find(|(kept, _)| std::ptr::eq(kept.as_ptr(), Arc::as_ptr(record)));
        if let Some((_, count)) = known {
            return Some(*count);
        }
        let stances = &record.stances;
        self.stances.begins_with_by(stances, Arc::ptr_eq).then(|| {
            self.remember(record);
            stances.len()
        })
    }

    /// Whether `stances` begins with the whole list.
    fn continued_by(&self, stances: &Stances) -> bool {
        stances.begins_with_by(&self.stances, Arc::ptr_eq)
    }

    /// Remembers that `record`'s stances are the first ones of the list.
    fn remember(&mut self, record: &Arc<Negotiation>) {
        if self.records.len() >= MAX_RECORDS {
            self.records.pop_front();
        }
        self.records.push_back((Arc::downgrade(record), record.stances.len()));
    }

    /// The places of the first `count` stances of the list among `places`.
    fn upto(&self, places: Option<&Vec<usize>>, count: usize) -> impl Iterator<Item = &Arc<Stance>> {
        places.into_iter().flatten().take_while(move |&&place| place < count).map(|&place| &self.stances[place])
    }
}

/// The grouping of `record`'s stances (negotiation `id`'s), and how many of its first stances are
/// `record`'s: the one kept when `record`'s stances begin its list or continue it (carried
/// forward to them), else one made anew.
fn grouping_of<'a>(groupings: &'a mut HashMap<String, Grouping>, id: &str, record: &Arc<Negotiation>) -> (&'a mut Grouping, usize) {
    if groupings.len() >= MAX_KEPT && !groupings.contains_key(id) {
        groupings.clear();
    }
    let grouping = groupings.entry(id.to_owned()).or_default();
    if let Some(count) = grouping.begun_by(record) {
        return (grouping, count);
    }
    if !grouping.continued_by(&record.stances) {
        *grouping = Grouping::default();
    }
    grouping.add(&record.stances);
    grouping.remember(record);
    (grouping, record.stances.len())
}

impl Likes {
    /// The event adding `stance` at the end of `current`'s stances (the record of negotiation
    /// `id`): exactly [`parley_store::event::stance_added`]'s.
    pub fn stance_added(&self, id: &str, current: &Arc<Negotiation>, stance: &Stance) -> NewEvent {
        let Ok(mut groupings) = self.by_negotiation.lock() else {
            return parley_store::event::stance_added(current, stance);
        };
        let (grouping, count) = grouping_of(&mut groupings, id, current);
        let like = grouping.upto(grouping.like.get(&(on_item(stance), stance.note.clone())), count);
        parley_store::event::stance_added_among(like.map(|held| &**held), stance)
    }

    /// The stances of `party` on `item` of `document` in `current` (negotiation `id`'s record at
    /// the chain head) and in `earlier` (an earlier record of it), in order: exactly what a pass
    /// over each record's stances keeps. `earlier`'s come from the grouping when its stances are
    /// the first ones of `current`'s (nothing but stances added since), else from such a pass.
    pub fn on_item(
        &self,
        id: &str,
        current: &Arc<Negotiation>,
        earlier: &Arc<Negotiation>,
        party: &str,
        item: u32,
        document: &str,
    ) -> (Vec<Arc<Stance>>, Vec<Arc<Stance>>) {
        let pass = |negotiation: &Negotiation| {
            let on = |held: &&Arc<Stance>| held.party == party && held.item == item && held.document == document;
            negotiation.stances.iter().filter(on).cloned().collect::<Vec<_>>()
        };
        let Ok(mut groupings) = self.by_negotiation.lock() else {
            return (pass(current), pass(earlier));
        };
        let key = (party.to_owned(), item, document.to_owned());
        let (grouping, count) = grouping_of(&mut groupings, id, current);
        let then = grouping.begun_by(earlier);
        let places = grouping.on_item.get(&key);
        let now = grouping.upto(places, count).cloned().collect();
        let then = match then {
            Some(count) => grouping.upto(places, count).cloned().collect(),
            None => pass(earlier),
        };
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
            let mut whole = ukraine();
            let base = (*whole.stances[0]).clone();
            let parties: Vec<String> = whole.parties.iter().map(|party| party.id.clone()).collect();
            whole.stances.truncate(5);
            // The record at each step, shared as the server shares it; a changed one is a new one.
            let mut negotiation = Arc::new(whole);
            let mut earlier = negotiation.clone();
            let likes = Likes::default();
            for step in steps {
                let asked = match step {
                    Step::Append(item, note, party) | Step::Ask(item, note, party) => Some(variant(&base, item, note, party, &parties)),
                    Step::Replace(at, item, note, party) => {
                        if !negotiation.stances.is_empty() {
                            let mut changed = (*negotiation).clone();
                            let at = at % changed.stances.len();
                            changed.stances[at] = Arc::new(variant(&base, item, note, party, &parties));
                            negotiation = Arc::new(changed);
                        }
                        None
                    }
                    Step::Remove(at) => {
                        if !negotiation.stances.is_empty() {
                            let mut changed = (*negotiation).clone();
                            let at = at % changed.stances.len();
                            changed.stances.remove(at);
                            negotiation = Arc::new(changed);
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
                        let mut changed = (*negotiation).clone();
                        changed.stances.push(Arc::new(stance));
                        negotiation = Arc::new(changed);
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
        let first = likes.stance_added(&negotiation.id, &Arc::new(negotiation.clone()), &stance);
        negotiation.stances = negotiation.stances.iter().map(|held| Arc::new((**held).clone())).collect();
        negotiation.stances.push(Arc::new(stance.clone()));
        let negotiation = Arc::new(negotiation);
        let second = likes.stance_added(&negotiation.id, &negotiation, &stance);
        assert_ne!(first.key, second.key);
        assert_eq!(second, parley_store::event::stance_added(&negotiation, &stance));
    }
}
