//! Folded negotiations, kept per process and keyed by the log's head.
//!
//! A read checks the head in the database on every request and brings its cached copy up to that
//! head when it differs, so a write made through another process is seen by the next read here.
//! The copy is brought up incrementally: the folder it was folded with is kept, and only the events
//! after its head are read and applied (after checking that the cached head's event is still in
//! the log with the same hash; otherwise it is folded anew). A write of this process applies the
//! events it appended without reading them back. The answers of the reads computed from a folded
//! copy are kept too, keyed by viewer and request, under the viewer's head ([`crate::viewhead`],
//! a hash of all the viewer sees): a read repeated while the viewer's view is unchanged — however
//! many writes it cannot see were made since — costs one statement in the database (the token and the
//! head) and the viewer's head, not a status computed anew. Each read is a function of the
//! viewer's view alone, so equal views have equal answers. Each viewer's head is kept per chain
//! head, so that a read does not hash its viewer's view again.
//!
//! For the writes' per-entity preconditions ([`crate::precondition`]) the cache also remembers, for
//! each view head it handed out, the chain head it was computed at, and keeps the last few folded
//! copies: an older view head it no longer knows is answered as stale, as any other process would.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use parley_core::model::Negotiation;
use parley_store::Store;
use parley_store::event::{Folder, Payload};

use crate::error::ApiError;
use crate::reads::{Head, head_of};
use crate::viewhead::ViewHead;

/// The most negotiations kept folded (a server usually holds a handful).
const MAX_CACHED: usize = 64;

/// The most answers kept (all dropped when full: a new head of their viewer makes them stale
/// anyway).
const MAX_ANSWERS: usize = 4096;

/// How many earlier folded copies are kept per negotiation, for the writes' preconditions.
const MAX_HISTORY: usize = 256;

/// How many of a viewer's latest heads are kept to continue from (a read that many writes
/// overtook still continues one).
const VIEW_HEADS_KEPT: usize = 64;

/// How many of a viewer's latest views are kept, for the reads of their heads and to continue
/// from (they share their stances).
const VIEWS_KEPT: usize = 4;

/// How many times a read that fell behind the views kept reads the chain head again before it
/// builds its view anew.
const READS_BEHIND: usize = 3;

/// The most view heads remembered with the chain head they were computed at.
const MAX_HANDED_OUT: usize = 65_536;

/// Earlier folded copies of one negotiation, oldest first.
type History = VecDeque<(Head, Arc<Negotiation>)>;

/// The flight of folding negotiation `id` up to a new head.
fn fold_flight(id: &str) -> String {
    format!("fold\0{id}")
}

/// A viewer's view, with the viewer's head (its tag) and the chain head it was computed at.
struct KeptView {
    tag: String,
    at: Head,
    /// The number of the whole record's stances at `at`.
    stances: usize,
    view: Arc<parley_service::View>,
}

/// A read's answer, kept with the viewer's head (its tag) and the number of the chain head it
/// was computed at.
struct Answer {
    tag: String,
    seq: u64,
    text: axum::body::Bytes,
}

/// A negotiation folded at a head, with the folder that continues from there: taken (not
/// copied) by whoever brings the negotiation further, under the fold's flight, since only the
/// latest copy is continued; a copy whose folder was taken is folded anew from the store.
struct Folded {
    head: Head,
    folder: Mutex<Option<Folder>>,
    negotiation: Arc<Negotiation>,
}

impl Folded {
    /// The folder, taken out.
    fn take_folder(&self) -> Option<Folder> {
        self.folder.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

/// A viewer's head at a chain head, with what the next one can be computed from.
#[derive(Clone)]
struct ViewHeadAt {
    head: Head,
    view_head: ViewHead,
    /// Its parts, and the number of the record's stances then.
    parts: Option<(crate::viewhead::Parts, usize)>,
}

/// Negotiations folded at a head, by id.
#[derive(Default)]
pub struct FoldCache {
    folded: Mutex<HashMap<String, Arc<Folded>>>,
    /// The reads' answers by negotiation, viewer and request, with the viewer's head they were
    /// computed at.
    answers: Mutex<HashMap<String, Answer>>,
    /// Each viewer's last few heads, by negotiation and viewer, with the chain heads they were
    /// computed at (in their order).
    view_heads: Mutex<HashMap<(String, String), VecDeque<ViewHeadAt>>>,
    /// Recent folded copies per negotiation, oldest first.
    history: Mutex<HashMap<String, History>>,
    /// The chain head each view head handed out was computed at, by negotiation, viewer and tag.
    handed_out: Mutex<HashMap<(String, String, String), Head>>,
    /// One lock per negotiation that this process's writes to it take in turn.
    writers: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// The same turn, awaited by the API's writes before they take a blocking thread, so that
    /// writers waiting their turn do not hold the threads the reads need.
    queues: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The stance writes waiting in those queues, for the group commit ([`crate::batch`]).
    batches: crate::batch::Queues,
    /// The stances of each negotiation's record grouped by party and item, for the stance writes
    /// and their preconditions ([`crate::likes`]).
    likes: crate::likes::Likes,
    /// Each viewer's view, by negotiation and viewer, with the viewer's head it has: the reads
    /// at one head (status, claims, …) share it instead of each viewing the record anew.
    views: Mutex<HashMap<(String, String), VecDeque<KeptView>>>,
    /// One lock per piece of work many requests may need at once (folding a negotiation up to a
    /// new head, computing a read's answer there), so that one request does it and the others
    /// wait for its result instead of repeating it beside it.
    flights: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl std::fmt::Debug for FoldCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoldCache").finish_non_exhaustive()
    }
}

impl FoldCache {
    /// The negotiation `id` at its current head (read now), brought up to each new head once.
    pub fn folded(&self, store: &mut dyn Store, id: &str) -> Result<(Arc<Negotiation>, Head), ApiError> {
        let head = head_of(store, id)?;
        let negotiation = self.at_head(store, id, &head)?;
        Ok((negotiation, head))
    }

    /// The negotiation `id` folded at `head` (its current head, just read).
    pub fn at_head(&self, store: &mut dyn Store, id: &str, head: &Head) -> Result<Arc<Negotiation>, ApiError> {
        // One request folds up to a new head; the others that see it meanwhile wait and take its
        // copy (as they wait for a write of this process to publish what it appended).
        self.once(&fold_flight(id), || self.kept(id, head).1, || self.at_head_folding(store, id, head))
    }

    /// The cached copy of negotiation `id`, and the record at `head` when kept: the cached copy
    /// is at `head`, or another request brought it further and `head` is among the earlier ones.
    fn kept(&self, id: &str, head: &Head) -> (Option<Arc<Folded>>, Option<Arc<Negotiation>>) {
        let cached = self.folded.lock().ok().and_then(|map| map.get(id).cloned());
        let kept = match &cached {
            Some(cached) if cached.head == *head => Some(cached.negotiation.clone()),
            _ => self.earlier(id, head),
        };
        (cached, kept)
    }

    /// The lock held while negotiation `id` is brought up to a new head: by a read folding it,
    /// and by a write of this process from before it appends until its events are applied and
    /// remembered, so that a read seeing the new head waits for them instead of folding them too.
    pub fn folding(&self, id: &str) -> Arc<Mutex<()>> {
        self.flight(&fold_flight(id))
    }

    /// As [`FoldCache::at_head`], by a caller holding [`FoldCache::folding`].
    pub fn at_head_folding(&self, store: &mut dyn Store, id: &str, head: &Head) -> Result<Arc<Negotiation>, ApiError> {
        let cached = match self.kept(id, head) {
            (_, Some(kept)) => return Ok(kept),
            (cached, None) => cached,
        };
        // Continue from the cached folder when its head is still in the log; fold anew otherwise.
        let continued = match &cached {
            Some(cached) if cached.head.seq < head.seq => {
                let hash = store.hash_at(id, cached.head.seq).map_err(ApiError::store)?;
                if hash.as_deref() == Some(cached.head.hash.as_str()) { cached.take_folder() } else { None }
            }
            _ => None,
        };
        let mut folder = match continued {
            Some(folder) => folder,
            None => store.restore(id, Some(head.seq)).map_err(ApiError::store)?.unwrap_or_default(),
        };
        store.apply_events(id, folder.seq(), Some(head.seq), &mut folder).map_err(ApiError::store)?;
        self.install(id, head, folder)
    }

    /// Applies the events a write of this process appended after `before` (the head it wrote
    /// after) to the cached copy, when that copy is at `before`: the write's own answer and the
    /// next read then need not read them back.
    pub fn advance(&self, id: &str, before: &Head, appended: &[parley_store::Event]) -> Result<Option<Arc<Negotiation>>, ApiError> {
        let Some(last) = appended.last() else { return Ok(None) };
        let cached = self.folded.lock().ok().and_then(|map| map.get(id).cloned());
        let Some(cached) = cached.filter(|cached| cached.head == *before) else { return Ok(None) };
        let Some(mut folder) = cached.take_folder() else { return Ok(None) };
        for event in appended {
            folder
                .apply(event.seq, &event.kind, &event.key, event.op, Payload::Json(&event.payload))
                .map_err(|error| ApiError::internal(error.to_string()))?;
        }
        self.install(id, &Head { seq: last.seq, hash: last.hash.clone() }, folder).map(Some)
    }

    fn install(&self, id: &str, head: &Head, mut folder: Folder) -> Result<Arc<Negotiation>, ApiError> {
        let negotiation = folder
            .negotiation()
            .map_err(|error| ApiError::store(parley_store::StoreError::Fold { negotiation: id.to_owned(), source: error }))?
            .ok_or_else(|| ApiError::no_negotiation(id))?;
        let negotiation = Arc::new(negotiation);
        if let Ok(mut map) = self.folded.lock() {
            if map.len() >= MAX_CACHED && !map.contains_key(id) {
                map.clear();
            }
            // Never replace a newer copy (another request may have brought it further).
            if map.get(id).is_none_or(|held| held.head.seq <= head.seq) {
                let folded = Folded { head: head.clone(), folder: Mutex::new(Some(folder)), negotiation: negotiation.clone() };
                map.insert(id.to_owned(), Arc::new(folded));
            }
        }
        if let Ok(mut history) = self.history.lock() {
            if history.len() >= MAX_CACHED && !history.contains_key(id) {
                history.clear();
            }
            let kept = history.entry(id.to_owned()).or_default();
            if !kept.iter().any(|(at, _)| at == head) {
                kept.push_back((head.clone(), negotiation.clone()));
                if kept.len() > MAX_HISTORY {
                    kept.pop_front();
                }
            }
        }
        Ok(negotiation)
    }

    /// As [`FoldCache::folded`], with the head `viewer` is told at that chain head (computed once
    /// per chain head and viewer).
    ///
    /// A read that a write of this process overtook while it waited (for the fold, or for a
    /// core: many requests share two) answers at the later head that write folded, once that head
    /// is checked to be in the log: an answer as of a head committed while the request was in
    /// flight, and the one every other read there shares, instead of a view and answers computed
    /// again for a head already left behind.
    pub fn viewed(&self, store: &mut dyn Store, id: &str, viewer: &str) -> Result<(Arc<Negotiation>, Head, ViewHead), ApiError> {
        let head = head_of(store, id)?;
        self.viewed_at(store, id, viewer, head)
    }

    /// As [`FoldCache::viewed`], at `head`, the head of the log just read.
    pub fn viewed_at(
        &self,
        store: &mut dyn Store,
        id: &str,
        viewer: &str,
        head: Head,
    ) -> Result<(Arc<Negotiation>, Head, ViewHead), ApiError> {
        let negotiation = self.at_head(store, id, &head)?;
        let (negotiation, head) = match self.overtaken(store, id, &head)? {
            Some(later) => later,
            None => (negotiation, head),
        };
        let view_head = self.view_head(&negotiation, &head, id, viewer)?;
        Ok((negotiation, head, view_head))
    }

    /// The copy of negotiation `id` folded at a later head than `head` (just read from the log),
    /// if this process holds one and the log still holds that head's event with its hash.
    fn overtaken(&self, store: &mut dyn Store, id: &str, head: &Head) -> Result<Option<(Arc<Negotiation>, Head)>, ApiError> {
        let held = || self.folded.lock().ok().and_then(|map| map.get(id).map(|cached| cached.head.seq));
        if held().is_none_or(|seq| seq <= head.seq) {
            return Ok(None);
        }
        // Taken once the write that installed it has also remembered what it appended (it holds
        // the fold until then), so that views and view heads continue over it.
        let folding = self.folding(id);
        let published = folding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let cached = self.folded.lock().ok().and_then(|map| map.get(id).cloned());
        drop(published);
        let Some(cached) = cached.filter(|cached| cached.head.seq > head.seq) else { return Ok(None) };
        let hash = store.hash_at(id, cached.head.seq).map_err(ApiError::store)?;
        Ok((hash.as_deref() == Some(cached.head.hash.as_str())).then(|| (cached.negotiation.clone(), cached.head.clone())))
    }

    /// The head `viewer` is told for `negotiation`, negotiation `id` folded at `head`.
    pub fn view_head(&self, negotiation: &Negotiation, head: &Head, id: &str, viewer: &str) -> Result<ViewHead, ApiError> {
        // Readers seeing a new head at once: one computes the viewer's head, the others take it.
        self.once(
            &format!("head\0{id}\0{viewer}"),
            || self.kept_view_head(id, viewer, head),
            || self.compute_view_head(negotiation, head, id, viewer),
        )
    }

    /// Whether the record at `head` (with `total` stances) is the record at the earlier chain
    /// head `from` (with `before` stances) with only this process's stances added since.
    fn continues(&self, id: &str, from: &Head, before: usize, head: &Head, total: usize) -> bool {
        from.seq < head.seq && self.batches.stances_added(id, from, head).is_some_and(|added| before + added == total)
    }

    /// The head `viewer` was told at the chain head `head`, if it is kept (nothing is computed).
    pub fn kept_view_head(&self, id: &str, viewer: &str, head: &Head) -> Option<ViewHead> {
        let map = self.view_heads.lock().ok()?;
        map.get(&(id.to_owned(), viewer.to_owned()))?.iter().find(|kept| kept.head == *head).map(|kept| kept.view_head.clone())
    }

    /// The head `viewer` is told at `head`, continued from one of `kept` (its heads kept before,
    /// oldest first) when only stances were added since, and kept.
    fn compute_view_head(&self, negotiation: &Negotiation, head: &Head, id: &str, viewer: &str) -> Result<ViewHead, ApiError> {
        let key = (id.to_owned(), viewer.to_owned());
        // Only stances added since one of the viewer's earlier heads (by this process's group
        // commits): its head continues from there. The latest such head is tried first; a read
        // that read the chain head before a write's may come after it, so the later heads kept
        // are passed over.
        let continued = self.view_heads.lock().ok().and_then(|map| {
            map.get(&key)?.iter().rev().find_map(|kept| {
                let (parts, before) = kept.parts.as_ref()?;
                self.continues(id, &kept.head, *before, head, negotiation.stances.len()).then(|| (parts.clone(), *before))
            })
        });
        let (view_head, parts) = match continued {
            Some((parts, before)) => {
                let (view_head, parts) = crate::viewhead::after_stances(negotiation, before, parts, viewer)?;
                (view_head, Some(parts))
            }
            None => crate::viewhead::with_parts(negotiation, head, viewer)?,
        };
        let parts = parts.map(|parts| (parts, negotiation.stances.len()));
        if let Ok(mut map) = self.view_heads.lock() {
            if map.len() >= MAX_CACHED * 8 && !map.contains_key(&key) {
                map.clear();
            }
            let heads = map.entry(key).or_default();
            // In the order of the chain heads, the oldest dropped first.
            let at = heads.partition_point(|kept| kept.head.seq < head.seq);
            if heads.get(at).is_none_or(|kept| kept.head != *head) {
                heads.insert(at, ViewHeadAt { head: head.clone(), view_head: view_head.clone(), parts });
                if heads.len() > VIEW_HEADS_KEPT {
                    heads.pop_front();
                }
            }
        }
        if let Ok(mut handed_out) = self.handed_out.lock() {
            if handed_out.len() >= MAX_HANDED_OUT {
                handed_out.clear();
            }
            handed_out.insert((id.to_owned(), viewer.to_owned(), view_head.tag.clone()), head.clone());
        }
        Ok(view_head)
    }

    /// The chain head at which this process told `viewer` the view head `tag`, if it did and
    /// still remembers it.
    pub fn handed_out(&self, id: &str, viewer: &str, tag: &str) -> Option<Head> {
        let handed_out = self.handed_out.lock().ok()?;
        handed_out.get(&(id.to_owned(), viewer.to_owned(), tag.to_owned())).cloned()
    }

    /// The negotiation `id` as folded at `head`, if still kept.
    pub fn earlier(&self, id: &str, head: &Head) -> Option<Arc<Negotiation>> {
        let history = self.history.lock().ok()?;
        history.get(id)?.iter().find(|(at, _)| at == head).map(|(_, negotiation)| negotiation.clone())
    }

    /// The lock this process's writes to negotiation `id` hold while they read the head and
    /// append after it: they then never conflict with each other (only with other processes,
    /// which the store's head check catches), and each is validated against the state the one
    /// before it left.
    pub fn writer(&self, id: &str) -> Arc<Mutex<()>> {
        let mut writers = self.writers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if writers.len() >= MAX_CACHED && !writers.contains_key(id) {
            writers.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        writers.entry(id.to_owned()).or_default().clone()
    }

    /// The writes waiting to be recorded in a group ([`crate::batch`]).
    pub fn batches(&self) -> &crate::batch::Queues {
        &self.batches
    }

    /// The stances of each negotiation's record grouped ([`crate::likes`]).
    pub fn likes(&self) -> &crate::likes::Likes {
        &self.likes
    }

    /// The queue the API's writes to negotiation `id` wait in (see [`FoldCache::writer`]).
    pub fn queue(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut queues = self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if queues.len() >= MAX_CACHED && !queues.contains_key(id) {
            queues.retain(|_, queue| Arc::strong_count(queue) > 1);
        }
        queues.entry(id.to_owned()).or_default().clone()
    }

    /// The view of negotiation `id` (folded as `negotiation` at the chain head `at`) for `viewer`,
    /// whose head there is `head`: computed once per viewer's head. When the view kept is of an
    /// earlier chain head after which this process only added stances, it is brought up by
    /// viewing and indexing those alone ([`parley_service::View::add_stances`]).
    ///
    /// A view that no kept one continues to is built anew from the whole record, which costs the
    /// length of the record. With `give_way`, a read that has fallen behind the views kept (it
    /// read the chain head, then waited while later heads' views were built) gets `None`
    /// instead, to read the chain head again and be answered there: building the old head's view
    /// anew would hold the next reads back the longer, and so on.
    pub fn view(
        &self,
        negotiation: &Negotiation,
        at: &Head,
        id: &str,
        viewer: &str,
        head: &ViewHead,
        give_way: bool,
    ) -> Result<Option<Arc<parley_service::View>>, ApiError> {
        let key = (id.to_owned(), viewer.to_owned());
        let kept = || {
            let views = self.views.lock().ok()?;
            views.get(&key)?.iter().find(|kept| kept.tag == head.tag).map(|kept| Some(kept.view.clone()))
        };
        self.once(&format!("view\0{id}\0{viewer}"), kept, || {
            // The latest view kept of an earlier chain head after which only this process's
            // stances were added; a read that a later one overtook continues an earlier one still.
            let earlier = self.views.lock().ok().and_then(|views| {
                views.get(&key)?.iter().rev().find_map(|kept| {
                    self.continues(id, &kept.at, kept.stances, at, negotiation.stances.len()).then(|| (kept.view.clone(), kept.stances))
                })
            });
            let view = match earlier {
                // A copy: the view it continues stays kept for the reads of its own head.
                Some((view, before)) => {
                    let mut view = (*view).clone();
                    view.add_stances(negotiation, before);
                    view
                }
                None => {
                    let behind = || {
                        let views = self.views.lock().ok()?;
                        Some(views.get(&key)?.iter().any(|kept| kept.at.seq > at.seq))
                    };
                    if give_way && behind() == Some(true) {
                        return Ok(None);
                    }
                    parley_service::view(negotiation.clone(), viewer).map_err(ApiError::service)?
                }
            };
            // Indexed before it is shared: the next head's view is brought up from this one with
            // its index (a view shared unindexed would be indexed anew at every head).
            view.index();
            let view = Arc::new(view);
            if let Ok(mut views) = self.views.lock() {
                if views.len() >= MAX_CACHED * 8 && !views.contains_key(&key) {
                    views.clear();
                }
                let kept = views.entry(key.clone()).or_default();
                // In the order of the chain heads, the oldest dropped first.
                let place = kept.partition_point(|held| held.at.seq < at.seq);
                if !kept.iter().any(|held| held.tag == head.tag) {
                    let stances = negotiation.stances.len();
                    kept.insert(place, KeptView { tag: head.tag.clone(), at: at.clone(), stances, view: view.clone() });
                    if kept.len() > VIEWS_KEPT {
                        kept.pop_front();
                    }
                }
            }
            Ok(Some(view))
        })
    }

    /// The answer `read` gives from `viewer`'s view of negotiation `id` at `head` (the log's head,
    /// just read), with the viewer's head it is at; kept under `key` for the reads after it. Many
    /// requests for the same answer at a new head: one computes it, the others wait for it. A read
    /// that fell behind the views kept ([`FoldCache::view`]) reads the chain head again,
    /// [`READS_BEHIND`] times at most, and is answered there.
    pub fn answer_read(
        &self,
        store: &mut dyn Store,
        id: &str,
        viewer: &str,
        mut head: Head,
        key: &str,
        read: impl FnOnce(&parley_service::View) -> Result<axum::body::Bytes, ApiError>,
    ) -> Result<(axum::body::Bytes, ViewHead), ApiError> {
        // Called once, by the attempt that builds the answer.
        let mut read = Some(read);
        for attempt in 0..=READS_BEHIND {
            let (negotiation, at, view_head) = self.viewed_at(store, id, viewer, head)?;
            let text = self.once(
                key,
                || self.answer(key, &view_head).map(Some),
                || {
                    let Some(view) = self.view(&negotiation, &at, id, viewer, &view_head, attempt < READS_BEHIND)? else {
                        return Ok(None);
                    };
                    let read = read.take().ok_or_else(|| ApiError::internal("a read's answer was built twice"))?;
                    let text = read(&view)?;
                    self.keep(key.to_owned(), &view_head, &at, text.clone());
                    Ok::<_, ApiError>(Some(text))
                },
            )?;
            if let Some(text) = text {
                return Ok((text, view_head));
            }
            head = head_of(store, id)?;
        }
        // The last attempt does not give way, so it has an answer.
        Err(ApiError::internal("a read found no view to answer from"))
    }

    /// What `kept` finds; else, under the flight `key` (of many requests needing it at once, one
    /// computes it and the others wait and take it), what `kept` finds then, or what `compute`
    /// computes — and keeps, so that `kept` finds it.
    pub fn once<T, E>(&self, key: &str, kept: impl Fn() -> Option<T>, compute: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        if let Some(found) = kept() {
            return Ok(found);
        }
        let flight = self.flight(key);
        let _computing = flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match kept() {
            Some(found) => Ok(found),
            None => compute(),
        }
    }

    /// The lock of one piece of work (see the field `flights`), by a key naming it.
    fn flight(&self, key: &str) -> Arc<Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if flights.len() >= MAX_ANSWERS && !flights.contains_key(key) {
            flights.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        flights.entry(key.to_owned()).or_default().clone()
    }

    /// The answer kept for `key` (negotiation, viewer and request), if computed when the viewer's
    /// head was `head`.
    pub fn answer(&self, key: &str, head: &ViewHead) -> Option<axum::body::Bytes> {
        let answers = self.answers.lock().ok()?;
        answers.get(key).filter(|kept| kept.tag == head.tag).map(|kept| kept.text.clone())
    }

    /// Keeps the answer for `key` computed at the viewer's head `head` (at the chain head `at`),
    /// unless the one kept is of a later chain head: a late read does not evict the answer the
    /// reads after it share.
    pub fn keep(&self, key: String, head: &ViewHead, at: &Head, text: axum::body::Bytes) {
        if let Ok(mut answers) = self.answers.lock() {
            if answers.len() >= MAX_ANSWERS {
                answers.clear();
            }
            if answers.get(&key).is_none_or(|kept| kept.seq <= at.seq) {
                answers.insert(key, Answer { tag: head.tag.clone(), seq: at.seq, text });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A late read's answer (of an earlier chain head) does not evict the answer kept at a later
    /// one, which the reads after it share; an answer of a later chain head replaces it.
    #[test]
    fn an_answer_is_never_replaced_by_one_of_an_earlier_chain_head() {
        let cache = FoldCache::default();
        let at = |seq: u64| Head { seq, hash: format!("{seq:064x}") };
        let tag = |text: &str| ViewHead { tag: text.to_owned(), seq: None };
        cache.keep("n\0public\0status".to_owned(), &tag("later"), &at(5), "at 5".into());
        cache.keep("n\0public\0status".to_owned(), &tag("earlier"), &at(4), "at 4".into());
        assert_eq!(cache.answer("n\0public\0status", &tag("later")).as_deref(), Some(&b"at 5"[..]));
        assert_eq!(cache.answer("n\0public\0status", &tag("earlier")), None);
        cache.keep("n\0public\0status".to_owned(), &tag("latest"), &at(6), "at 6".into());
        assert_eq!(cache.answer("n\0public\0status", &tag("latest")).as_deref(), Some(&b"at 6"[..]));
        assert_eq!(cache.answer("n\0public\0status", &tag("later")), None);
    }

    /// A read that read the chain head before a write, answered only after a later read kept its
    /// view there and the later head's fold was dropped (here by as many other negotiations'
    /// folds as are kept), gives way: it reads the chain head again and takes the answer kept
    /// there, rather than folding a view anew at its own, older head.
    #[test]
    fn a_read_behind_the_views_kept_reads_the_head_again_and_takes_the_later_answer() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = parley_store::open_store(dir.path().join("behind.db").to_str().unwrap(), true).unwrap();
        let scenario = include_str!("../../../scenarios/ukraine-2025.toml");
        let mut negotiation = parley_core::scenario::parse(scenario).unwrap().negotiation;
        store.import(&negotiation, None).unwrap();
        let id = negotiation.id.clone();
        let earlier = head_of(&mut *store, &id).unwrap();
        // A change every viewer sees, so that the two heads are told apart.
        negotiation.title.push_str(" (revised)");
        assert!(!store.import(&negotiation, None).unwrap().is_empty());
        let later = head_of(&mut *store, &id).unwrap();
        assert!(later.seq > earlier.seq);

        let cache = FoldCache::default();
        let key = format!("{id}\0public\0status");
        let (answer, view_head) = cache.answer_read(&mut *store, &id, "public", later, &key, |_| Ok("at the later head".into())).unwrap();
        for other in 0..MAX_CACHED {
            let mut copy = parley_core::scenario::parse(scenario).unwrap().negotiation;
            copy.id = format!("other-{other}");
            store.import(&copy, None).unwrap();
            let head = head_of(&mut *store, &copy.id).unwrap();
            cache.at_head(&mut *store, &copy.id, &head).unwrap();
        }
        assert!(!cache.folded.lock().unwrap().contains_key(&id), "the later head's fold is still held");

        let (late, late_head) =
            cache.answer_read(&mut *store, &id, "public", earlier, &key, |_| Ok("folded anew at the earlier head".into())).unwrap();
        assert_eq!(late, answer);
        assert_eq!(late_head, view_head);
    }
}
