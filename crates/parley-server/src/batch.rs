//! Group commit: the stance writes that wait for one negotiation's write turn are recorded
//! together, in one transaction and one sync of the log, instead of one sync each.
//!
//! A write joins its negotiation's queue and waits for the turn ([`crate::cache::FoldCache::queue`]);
//! whoever gets the turn records every write queued by then ([`record`]) and answers each. The
//! writes of one group are checked against the same chain head, and are each exactly what the
//! one-at-a-time path ([`crate::writes::record_signed`]) would have recorded there:
//!
//! - only plain stances take part, the ones [`crate::fastwrite`] certainly decides (checked in
//!   context, their event built directly),
//!   and with the record comfortably inside the scenario reader's size limit;
//! - a write naming an older head of its writer joins when that head was handed out by this
//!   process and only this process's groups were appended since, none with a stance of its party
//!   on its item (so nothing it depends on changed); any other older head is left to the
//!   one-at-a-time path, which decides it (`crate::precondition`);
//! - no two stances of a group are on the same item by the same party (a write depends on its
//!   party's stances on its item, docs/api.md "Preconditions"): the second waits for the next
//!   group, so it is checked after the first as it would be one at a time;
//! - any other write, and any write the fast path does not decide (a stale head among them), takes
//!   the one-at-a-time path after the group is committed. The writes queued together were all in
//!   flight at once, none answered, so answering it after them is answering them in an order they
//!   could have arrived in; taken before, it would end the group and cost a commit of its own.
//!
//! Each write is answered once the group is durable, with its writer's head after the group.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use parley_core::model::{Negotiation, Stance};
use parley_store::{Group, NewEvent, Store, StoreError};

use crate::auth::Caller;
use crate::cache::FoldCache;
use crate::error::ApiError;
use crate::fastwrite::Unsigned;
use crate::reads::Head;
use crate::signing::{Recorded, Signing};
use crate::writes::{Change, Written};

/// A stance write waiting for its negotiation's write turn.
#[derive(Debug)]
pub struct Pending {
    /// Who writes.
    pub caller: Caller,
    /// The head it names (`If-Match`, unquoted).
    pub expected: String,
    /// The stance.
    pub stance: Stance,
    /// Where its answer goes.
    pub reply: tokio::sync::oneshot::Sender<Result<Recorded, ApiError>>,
}

/// The writes waiting per negotiation, and an upper bound on each cached record's size as a
/// scenario file.
#[derive(Debug, Default)]
pub struct Queues {
    waiting: Mutex<HashMap<String, Vec<Pending>>>,
    bounds: Mutex<HashMap<String, (Head, usize)>>,
    /// The groups this process appended lately, per negotiation, oldest first.
    recent: Mutex<HashMap<String, VecDeque<Appended>>>,
}

/// One group this process appended: the chain heads before and after it, and the stances'
/// party, item and document.
#[derive(Debug)]
struct Appended {
    before: Head,
    after: Head,
    keys: HashSet<Key>,
    /// How many stances it appended.
    added: usize,
}

/// A stance's party, item and document: what a stance write depends on besides the item.
type Key = (String, u32, String);

/// How many groups are remembered per negotiation.
const MAX_RECENT: usize = 1024;

impl Queues {
    /// Queues a write to negotiation `id`.
    pub fn push(&self, id: &str, pending: Pending) {
        let mut waiting = self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        waiting.entry(id.to_owned()).or_default().push(pending);
    }

    /// Every write queued to negotiation `id`, oldest first.
    pub fn take(&self, id: &str) -> Vec<Pending> {
        let mut waiting = self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        waiting.remove(id).unwrap_or_default()
    }

    /// An upper bound on the size of `negotiation` (negotiation `id` at `head`) written as a
    /// scenario file: exact when first asked at a head, then grown by each appended event's bound.
    fn bound(&self, id: &str, head: &Head, negotiation: &Negotiation) -> usize {
        let known = self.bounds.lock().ok().and_then(|bounds| bounds.get(id).filter(|(at, _)| at == head).map(|(_, bound)| *bound));
        known.unwrap_or_else(|| {
            let bound = parley_core::writer::to_toml(negotiation).len();
            self.set_bound(id, head, bound);
            bound
        })
    }

    /// Whether only this process's groups were appended from `earlier` up to `head`, none of
    /// them with a stance of `key`: then nothing a stance write of `key` depends on changed (the
    /// item is untouched, and no stance of its party on it was added).
    fn untouched(&self, id: &str, earlier: &Head, head: &Head, key: &Key) -> bool {
        let Ok(recent) = self.recent.lock() else { return false };
        let Some(groups) = recent.get(id) else { return false };
        let mut at = earlier;
        while at != head {
            match groups.iter().find(|group| group.before == *at) {
                Some(group) if !group.keys.contains(key) => at = &group.after,
                _ => return false,
            }
        }
        true
    }

    /// How many stances this process's groups appended from `earlier` up to `head`, when only
    /// they were appended in between.
    pub(crate) fn stances_added(&self, id: &str, earlier: &Head, head: &Head) -> Option<usize> {
        let recent = self.recent.lock().ok()?;
        let groups = recent.get(id)?;
        let (mut at, mut added) = (earlier, 0);
        while at != head {
            let group = groups.iter().find(|group| group.before == *at)?;
            added += group.added;
            at = &group.after;
        }
        Some(added)
    }

    /// Remembers that the last `added` stances of `negotiation` (negotiation `id` at `after`) were
    /// appended after `before` by one write of this process, and nothing else was.
    pub(crate) fn stances_appended(&self, id: &str, before: &Head, after: &Head, negotiation: &Negotiation, added: usize) {
        let Some(start) = negotiation.stances.len().checked_sub(added) else { return };
        let keys = negotiation.stances.range(start..).map(|stance| (stance.party.clone(), stance.item, stance.document.clone())).collect();
        self.appended(id, Appended { before: before.clone(), after: after.clone(), keys, added });
    }

    fn appended(&self, id: &str, group: Appended) {
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() >= 64 && !recent.contains_key(id) {
                recent.clear();
            }
            let groups = recent.entry(id.to_owned()).or_default();
            if groups.len() >= MAX_RECENT {
                groups.pop_front();
            }
            groups.push_back(group);
        }
    }

    fn set_bound(&self, id: &str, head: &Head, bound: usize) {
        if let Ok(mut bounds) = self.bounds.lock() {
            if bounds.len() >= 64 && !bounds.contains_key(id) {
                bounds.clear();
            }
            bounds.insert(id.to_owned(), (head.clone(), bound));
        }
    }
}

/// An upper bound on the scenario text of one stance with this event payload: each character
/// of its JSON escaped at most six bytes long in TOML (`\uXXXX`), plus the table's header and
/// field names.
fn stance_bound(event: &NewEvent) -> usize {
    serde_json::to_string(&event.payload).map_or(usize::MAX / 4, |text| 6 * text.len() + 512)
}

/// Groups are taken only while the record's bound stays under half the reader's limit: well
/// inside it, so that no group write could be one the reader refuses for size.
const BOUND_LIMIT: usize = parley_core::scenario::MAX_SCENARIO_BYTES / 2;

/// The chain head a group is tried at and the record there.
struct Base {
    head: Head,
    current: Arc<Negotiation>,
    /// The record's size bound with the group's stances so far.
    bound: usize,
    /// The parties found to have no signing key at this head or an earlier one of this base
    /// (only this process's groups of stances were appended since).
    unsigned: Unsigned,
}

/// A write of the group and its event.
struct Member {
    pending: Pending,
    event: NewEvent,
}

/// Records `batch` (writes to negotiation `id`, oldest first) and answers each: plain stances
/// in groups of one commit, any other write one at a time. Takes the negotiation's write turn.
/// Gives the order the writes were recorded and answered in (their places in `batch`): each is
/// answered as the one-at-a-time path answers it when the writes are made one after another in
/// that order.
pub fn record(store: &mut dyn Store, cache: &FoldCache, id: &str, batch: Vec<Pending>) -> Vec<usize> {
    let writer = cache.writer(id);
    let _turn = writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut group: Vec<Member> = Vec::new();
    let mut touched: HashSet<Key> = HashSet::new();
    let mut base: Option<Base> = None;
    let mut later = Vec::new();
    let mut order = Vec::with_capacity(batch.len());
    for (place, pending) in batch.into_iter().enumerate() {
        let key = (pending.stance.party.clone(), pending.stance.item, pending.stance.document.clone());
        if touched.contains(&key) {
            base = commit(store, cache, id, base.take(), std::mem::take(&mut group));
            touched.clear();
        }
        match joins(store, cache, id, &mut base, &pending, &key) {
            Some(event) => {
                touched.insert(key);
                order.push(place);
                group.push(Member { pending, event });
            }
            // After the group: taken now, it would end the group and cost a commit of its own.
            None => later.push((place, pending)),
        }
    }
    commit(store, cache, id, base, group);
    for (place, pending) in later {
        order.push(place);
        one_at_a_time(store, cache, id, pending);
    }
    order
}

/// The event of `pending` when it can join the group at `base` (read now if not yet), or `None`
/// when it must take the one-at-a-time path.
fn joins(store: &mut dyn Store, cache: &FoldCache, id: &str, base: &mut Option<Base>, pending: &Pending, key: &Key) -> Option<NewEvent> {
    if base.is_none() {
        let (seq, hash) = store.head(id).ok()??;
        let head = Head { seq, hash };
        let current = cache.at_head(store, id, &head).ok()?;
        let bound = cache.batches().bound(id, &head, &current);
        *base = Some(Base { head, current, bound, unsigned: Unsigned::default() });
    }
    let Base { head, current, bound, unsigned } = base.as_mut()?;
    // The head it names is its writer's head here, or one this process handed out to it before
    // groups that left what it depends on alone (the one-at-a-time path decides any other).
    let viewer = pending.caller.viewer();
    let seen = cache.view_head(current, head, id, viewer).ok()?;
    let holds = seen.named_by(&pending.expected)
        || cache
            .handed_out(id, viewer, &pending.expected)
            .is_some_and(|earlier| earlier.seq < head.seq && cache.batches().untouched(id, &earlier, head, key));
    if !holds || crate::ids::foreign(&Change::Stance(pending.stance.clone()), &pending.caller.role(), &pending.caller.token.viewer).is_err()
    {
        return None;
    }
    let event = crate::fastwrite::stance(store, cache.likes(), id, current, &pending.caller, &pending.stance, unsigned).ok()??;
    let grown = bound.saturating_add(stance_bound(&event));
    if grown > BOUND_LIMIT {
        return None;
    }
    *bound = grown;
    Some(event)
}

/// Appends the group's events after `base` in one commit and answers its writes; the base after
/// it (`None` when it must be read again).
fn commit(store: &mut dyn Store, cache: &FoldCache, id: &str, base: Option<Base>, group: Vec<Member>) -> Option<Base> {
    let Some(Base { head, current, bound, unsigned }) = base else {
        for member in group {
            one_at_a_time(store, cache, id, member.pending);
        }
        return None;
    };
    if group.is_empty() {
        return Some(Base { head, current, bound, unsigned });
    }
    let groups = group
        .iter()
        .map(|member| Group {
            events: vec![member.event.clone()],
            signer: None,
            presigned: None,
            label: &member.pending.caller.token.label,
        })
        .collect();
    // Reads that see the new head wait until it is applied and remembered.
    let folding = cache.folding(id);
    let publishing = folding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let appended = match store.append_groups(id, head.seq, groups) {
        Ok(appended) => appended,
        // Another process appended first, or the store failed: each write as it would be alone
        // (which reports a failure as its own).
        Err(StoreError::Conflict { .. }) | Err(_) => {
            drop(publishing);
            for member in group {
                one_at_a_time(store, cache, id, member.pending);
            }
            return None;
        }
    };
    let all: Vec<parley_store::Event> = appended.iter().flatten().cloned().collect();
    let last = all.last()?;
    let new = Head { seq: last.seq, hash: last.hash.clone() };
    // Remembered before the new head is installed: a read that finds it installed (without
    // waiting for the fold) continues its view and view head over the group.
    let keys = group
        .iter()
        .map(|member| (member.pending.stance.party.clone(), member.pending.stance.item, member.pending.stance.document.clone()))
        .collect();
    cache.batches().appended(id, Appended { before: head.clone(), after: new.clone(), keys, added: all.len() });
    cache.batches().set_bound(id, &new, bound);
    let folded = match cache.advance(id, &head, &all) {
        Ok(Some(folded)) => Ok(folded),
        Ok(None) => cache.at_head_folding(store, id, &new),
        Err(error) => Err(error),
    };
    drop(publishing);
    for (member, events) in group.into_iter().zip(appended) {
        let answer = folded.as_ref().map_err(Clone::clone).and_then(|folded| {
            let head = cache.view_head(folded, &new, id, member.pending.caller.viewer())?;
            let written = Written { head: head.etag(), seq: head.seq, appended: events.len(), id: None };
            Ok(Recorded::Written(written, head))
        });
        let _ = member.pending.reply.send(answer);
    }
    folded.ok().map(|current| Base { head: new, current, bound, unsigned })
}

/// Records `pending` by the one-at-a-time path (the writer's turn is already held) and answers it.
fn one_at_a_time(store: &mut dyn Store, cache: &FoldCache, id: &str, pending: Pending) {
    let change = Change::Stance(pending.stance);
    let write = crate::writes::Write { id, caller: &pending.caller, expected: &pending.expected, change: &change, signing: &Signing::None };
    let answer = crate::writes::record_in_turn(store, cache, &write);
    let _ = pending.reply.send(answer);
}
