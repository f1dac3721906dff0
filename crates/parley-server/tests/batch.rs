//! Grouped stance writes (`parley_server::batch`, with the fast path of `parley_server::fastwrite`)
//! answer exactly what the one-at-a-time path answers: random valid and invalid stance writes, by
//! admin and by party tokens, on the bundled records, recorded by both into two stores holding the
//! same record, give the same status, the same body and the same events (kind, key, actor,
//! payload, label) — one write at a time, and several at once in one group.
//!
//! The head tags in the answers are left out of the comparison: they hash the events' recording
//! times, which differ between two stores written a moment apart.

use parley_core::date::Date;
use parley_core::model::{Moment, Negotiation, Position, Stance, Visibility};
use parley_server::auth::Caller;
use parley_server::batch::Pending;
use parley_server::cache::FoldCache;
use parley_server::error::ApiError;
use parley_server::signing::Recorded;
use parley_server::writes::{Change, record};
use parley_store::{Store, Token};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// One store and its process cache.
struct Side {
    store: Box<dyn Store>,
    cache: FoldCache,
    _dir: tempfile::TempDir,
}

impl Side {
    fn new(negotiation: &Negotiation) -> Side {
        Side::signed(negotiation, None)
    }

    /// A store whose import registers `signer`'s key for its party.
    fn signed(negotiation: &Negotiation, signer: Option<(&str, &ed25519_dalek::SigningKey)>) -> Side {
        let dir = tempfile::tempdir().unwrap();
        let mut store = parley_store::open_store(dir.path().join("log.db").to_str().unwrap(), true).unwrap();
        store.import(negotiation, signer).unwrap();
        Side { store, cache: FoldCache::default(), _dir: dir }
    }

    /// The caller's current head (as a stale write's answer names it).
    fn head(&mut self, id: &str, caller: &Caller, change: &Change) -> String {
        let probe = record(&mut *self.store, &self.cache, id, caller, "no-such-head", change);
        probe.err().and_then(|error| error.head).expect("a stale write names the head")
    }

    /// The events after `seq`, without what hashes recording times.
    fn events_after(&mut self, id: &str, seq: u64) -> Vec<String> {
        let events = self.store.events(id).unwrap();
        events
            .iter()
            .filter(|event| event.seq > seq)
            .map(|event| format!("{} {} {:?} {} {} {}", event.kind, event.key, event.op, event.actor, event.payload, event.label))
            .collect()
    }
}

/// A write as numbers, turned into a stance against a record: most pick something that exists,
/// some something that does not, and some add what the fast path leaves to the slow one.
#[derive(Clone, Debug)]
struct Spec {
    caller: u8,
    party: u8,
    item: u8,
    position: usize,
    moment: u8,
    round: u8,
    date: (i32, u8, u8),
    visibility: usize,
    note: String,
    source: String,
    extras: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (any::<u8>(), any::<u8>(), any::<u8>(), 0..5usize, any::<u8>(), any::<u8>()),
        ((2000..2030i32, 1..13u8, 1..29u8), 0..4usize, "[a-z \"\\\\\n'é#\\[\\]=]{0,12}", "[a-z:/. ]{0,8}", any::<u8>()),
    )
        .prop_map(|((caller, party, item, position, moment, round), (date, visibility, note, source, extras))| Spec {
            caller,
            party,
            item,
            position,
            moment,
            round,
            date,
            visibility,
            note,
            source,
            extras,
        })
}

fn pick<'a>(names: &[&'a str], selector: u8, stranger: &'a str) -> &'a str {
    if names.is_empty() || selector % 8 == 7 { stranger } else { names[usize::from(selector) % names.len()] }
}

fn stance(negotiation: &Negotiation, spec: &Spec) -> Stance {
    let mut holders: Vec<&str> = negotiation.parties.iter().map(|party| party.id.as_str()).collect();
    holders.extend(negotiation.blocs.iter().map(|bloc| bloc.id.as_str()));
    let rounds: Vec<&str> = negotiation.rounds.iter().map(|round| round.id.as_str()).collect();
    let item = match negotiation.items.get(usize::from(spec.item) % negotiation.items.len().max(1)) {
        Some(item) if spec.item % 8 != 7 => item.number,
        _ => 900 + u32::from(spec.item),
    };
    let at = match spec.moment % 4 {
        0 => Moment::Start,
        1 => Moment::Date(Date::new(spec.date.0, spec.date.1, spec.date.2).unwrap()),
        _ => Moment::Round(pick(&rounds, spec.round, "no-such-round").to_owned()),
    };
    let visibility = [Visibility::Public, Visibility::Mediator, Visibility::Private, Visibility::Bloc][spec.visibility];
    let document = negotiation.items.get(usize::from(spec.item) % negotiation.items.len().max(1)).map(|item| item.document.clone());
    Stance {
        party: pick(&holders, spec.party, "nobody").to_owned(),
        item,
        position: Position::ALL[spec.position],
        at,
        source: spec.source.clone(),
        visibility,
        note: spec.note.clone(),
        document: if spec.extras & 1 == 1 { document.unwrap_or_default() } else { String::new() },
        version: (spec.extras & 6 == 2).then_some(usize::from(spec.extras >> 4)),
        readout: if spec.extras & 6 == 4 { pick(&holders, spec.party, "nobody").to_owned() } else { String::new() },
        bloc: (spec.extras & 6 == 6).then(|| pick(&holders, spec.round, "nobody").to_owned()),
    }
}

/// A stance of `party` on `item` in `round`.
fn stance_in_round(party: &str, item: u32, position: Position, round: &str, visibility: Visibility, source: &str) -> Stance {
    Stance {
        party: party.to_owned(),
        item,
        position,
        at: Moment::Round(round.to_owned()),
        source: source.to_owned(),
        visibility,
        note: String::new(),
        document: String::new(),
        version: None,
        readout: String::new(),
        bloc: None,
    }
}

fn caller(negotiation: &Negotiation, selector: u8) -> Caller {
    let parties: Vec<&str> = negotiation.parties.iter().map(|party| party.id.as_str()).collect();
    let viewer = if selector % 3 == 0 { "admin" } else { parties[usize::from(selector) % parties.len()] };
    caller_as(negotiation, viewer)
}

/// Status, body (less head tags) and the events appended, or the error as the client sees it
/// (less head tags: the admin's is the chain head's hash, which covers each event's time of
/// recording, so the two stores' differ when their writes fall in different seconds).
fn outcome(answer: Result<(parley_server::writes::Written, parley_server::viewhead::ViewHead), ApiError>) -> String {
    match answer {
        Ok((written, _)) => format!("written: appended {}", written.appended),
        Err(error) => format!("{:?} {} {:?}", error.code, without_tags(&error.detail), error.errors),
    }
}

/// A value as JSON, for comparing.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

/// `text` with every 64-digit hex tag replaced by `<tag>`.
fn without_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let run = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if run == 64 {
            out.push_str("<tag>");
            rest = &rest[run..];
        } else {
            let skip = run.max(rest.chars().next().map_or(1, char::len_utf8));
            out.push_str(&rest[..skip]);
            rest = &rest[skip..];
        }
    }
    out
}

/// Hands `writes` (caller, head named, stance) to the group commit together, as the server does
/// for the writes waiting for one turn; each one's answer, in order, and the order they were
/// recorded in.
fn record_together(side: &mut Side, id: &str, writes: Vec<(Caller, String, Stance)>) -> (Vec<Result<Recorded, ApiError>>, Vec<usize>) {
    let mut answers = Vec::new();
    let batch = writes
        .into_iter()
        .map(|(caller, expected, stance)| {
            let (reply, answer) = tokio::sync::oneshot::channel();
            answers.push(answer);
            Pending { caller, expected, stance, reply }
        })
        .collect();
    let order = parley_server::batch::record(&mut *side.store, &side.cache, id, batch);
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..answers.len()).collect::<Vec<_>>(), "each write is recorded once");
    (answers.into_iter().map(|mut answer| answer.try_recv().expect("every grouped write is answered")).collect(), order)
}

/// Records `writes` (caller, head named, stance) as one group, as the server does for the writes
/// waiting together; each one's outcome, in order, and the order they were recorded in.
fn grouped(side: &mut Side, id: &str, writes: Vec<(Caller, String, Stance)>) -> (Vec<String>, Vec<usize>) {
    let (answers, order) = record_together(side, id, writes);
    let outcomes = answers
        .into_iter()
        .map(|answer| {
            outcome(answer.map(|recorded| match recorded {
                Recorded::Written(written, head) => (written, head),
                Recorded::Prepared(_) => unreachable!("an unsigned write is never only prepared"),
            }))
        })
        .collect();
    (outcomes, order)
}

/// Every viewer of the record but `admin`: the public, the mediator and each party.
fn viewers(negotiation: &Negotiation) -> Vec<String> {
    let mut viewers = vec!["public".to_owned(), "mediator".to_owned()];
    viewers.extend(negotiation.parties.iter().map(|party| party.id.clone()));
    viewers
}

/// Checks `cases` random writes on the record `text`; how many of them were recorded.
fn check_scenario(text: &str, cases: u32) -> usize {
    let negotiation = parley_core::scenario::parse(text).unwrap().negotiation;
    let id = negotiation.id.clone();
    // The stores live across cases (records grow as the writes land): cells, for the runner's `Fn`.
    let sides = std::cell::RefCell::new((Side::new(&negotiation), Side::new(&negotiation)));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let taken = std::cell::Cell::new(0usize);
    let case = std::cell::Cell::new(0usize);
    runner
        .run(&prop::collection::vec(spec(), 1..7), |specs| {
            let (fast, slow) = &mut *sides.borrow_mut();
            let seq = fast.store.head(&id).unwrap().map_or(0, |(seq, _)| seq);
            prop_assert_eq!(seq, slow.store.head(&id).unwrap().map_or(0, |(seq, _)| seq));
            // Every viewer's head known before the groups (and before the same writes one at a
            // time, whose stances are remembered as appended alike).
            for side in [&mut *fast, &mut *slow] {
                let (current, head) = side.cache.folded(&mut *side.store, &id).unwrap();
                for viewer in viewers(&negotiation).into_iter().chain(["all".to_owned()]) {
                    let view_head = side.cache.view_head(&current, &head, &id, &viewer).unwrap();
                    side.cache.view(&current, &head, &id, &viewer, &view_head, false).unwrap();
                }
            }
            // Every write names its writer's head before any of them: made together.
            let mut writes = Vec::new();
            let mut slow_heads = Vec::new();
            for spec in &specs {
                let stance = stance(&negotiation, spec);
                let caller = caller(&negotiation, spec.caller);
                let change = Change::Stance(stance.clone());
                slow_heads.push(slow.head(&id, &caller, &change));
                writes.push((caller.clone(), fast.head(&id, &caller, &change), stance));
            }
            // Two groups, the second after the first committed: its writes name heads from before
            // the first (older heads of their writers).
            let split = writes.len() / 2;
            let (mut fast_answers, mut order) = grouped(fast, &id, writes[..split].to_vec());
            let (second, later) = grouped(fast, &id, writes[split..].to_vec());
            fast_answers.extend(second);
            order.extend(later.into_iter().map(|place| split + place));
            // One at a time in the order the groups recorded them, each naming the head it was
            // made against: a later one may find it stale only where its item and party were
            // written before it.
            let mut slow_answers = vec![String::new(); writes.len()];
            for &place in &order {
                let ((caller, _, stance), head) = (&writes[place], &slow_heads[place]);
                slow_answers[place] = outcome(record(&mut *slow.store, &slow.cache, &id, caller, head, &Change::Stance(stance.clone())));
            }
            prop_assert_eq!(
                &fast_answers,
                &slow_answers,
                "{:?}",
                writes.iter().map(|(caller, _, stance)| (&caller.token.viewer, stance)).collect::<Vec<_>>()
            );
            prop_assert_eq!(fast.events_after(&id, seq), slow.events_after(&id, seq));
            // Each viewer's head, continued from its head before the writes where only stances
            // were added, is the head computed from its whole view.
            for side in [&mut *fast, &mut *slow] {
                let (current, head) = side.cache.folded(&mut *side.store, &id).unwrap();
                for viewer in viewers(&negotiation) {
                    let continued = side.cache.view_head(&current, &head, &id, &viewer).unwrap();
                    prop_assert_eq!(&continued, &parley_server::viewhead::of(&current, &head, &viewer).unwrap(), "{}", viewer);
                }
                // Each viewer's view, brought up from its view before the writes by viewing the
                // added stances alone, is its whole view, and answers as it does (every fourth
                // case: a whole view per viewer costs more than the rest of a case).
                if case.get() % 4 != 0 {
                    continue;
                }
                for viewer in viewers(&negotiation).into_iter().chain(["all".to_owned()]) {
                    let view_head = side.cache.view_head(&current, &head, &id, &viewer).unwrap();
                    let continued = side.cache.view(&current, &head, &id, &viewer, &view_head, false).unwrap().expect("a view");
                    let whole = parley_service::view((*current).clone(), &viewer).unwrap();
                    prop_assert_eq!(json(continued.negotiation()), json(whole.negotiation()), "{}", viewer);
                    // Now and as of the first and the last round (a full sweep of the rounds costs
                    // more than the rest of the test).
                    let rounds = negotiation.rounds.first().into_iter().chain(negotiation.rounds.last());
                    for as_of in std::iter::once("now").chain(rounds.map(|round| round.id.as_str())) {
                        let status = |view: &parley_service::View| format!("{:?}", view.status(as_of).map(|status| json(&status)));
                        prop_assert_eq!(status(&continued), status(&whole), "{} {}", viewer, as_of);
                    }
                    prop_assert_eq!(json(&continued.claims(None)), json(&whole.claims(None)), "{}", viewer);
                    prop_assert_eq!(
                        json(&continued.diff("start", "now").unwrap()),
                        json(&whole.diff("start", "now").unwrap()),
                        "{}",
                        viewer
                    );
                }
            }
            case.set(case.get() + 1);
            taken.set(taken.get() + fast_answers.iter().filter(|answer| answer.starts_with("written: appended 1")).count());
            Ok(())
        })
        .unwrap();
    taken.get()
}

#[test]
fn grouped_stance_writes_answer_as_one_at_a_time_on_ukraine() {
    // The generator reaches the ground where writes are recorded, not only the rejections.
    assert!(check_scenario(include_str!("../../../scenarios/ukraine-2025.toml"), 96) > 0);
}

#[test]
fn grouped_stance_writes_answer_as_one_at_a_time_on_dockworkers() {
    assert!(check_scenario(include_str!("../../../scenarios/dockworkers-2026.toml"), 96) > 0);
}

#[test]
fn grouped_stance_writes_answer_as_one_at_a_time_on_a_record_with_documents() {
    // Every write there takes the slow path (the fast one leaves records with documents to it).
    check_scenario(include_str!("../../../scenarios/iran-nuclear-2013-2016.toml"), 48);
}

#[test]
fn grouped_stance_writes_answer_as_one_at_a_time_on_private_rounds() {
    assert!(check_scenario(include_str!("data/ukraine-2025-private.toml"), 96) > 0);
}

/// Writes waiting together are one commit: each is answered with the head after all of them (for
/// `admin`, the number of the group's last event), and each event is its own write's, in order.
#[test]
fn writes_waiting_together_are_answered_with_the_head_after_the_group() {
    let negotiation = parley_core::scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
    let id = negotiation.id.clone();
    let mut side = Side::new(&negotiation);
    let seq = side.store.head(&id).unwrap().unwrap().0;
    let admin = caller(&negotiation, 0);
    let parties: Vec<&str> = negotiation.parties.iter().map(|party| party.id.as_str()).take(3).collect();
    let round = negotiation.rounds.iter().find(|round| !round.planned).unwrap().id.clone();
    let writes: Vec<(Caller, String, Stance)> = parties
        .iter()
        .zip(&negotiation.items)
        .map(|(party, item)| {
            let stance = stance_in_round(party, item.number, Position::Accepts, &round, Visibility::Public, "grouped");
            (admin.clone(), seq.to_string(), stance)
        })
        .collect();
    let (answers, order) = record_together(&mut side, &id, writes.clone());
    assert_eq!(order, [0, 1, 2]);
    for answer in answers {
        match answer.unwrap() {
            Recorded::Written(written, _) => assert_eq!((written.appended, written.seq), (1, Some(seq + 3))),
            Recorded::Prepared(_) => unreachable!(),
        }
    }
    let events = side.store.events(&id).unwrap();
    let added: Vec<(&str, u32)> = events
        .iter()
        .filter(|event| event.seq > seq)
        .map(|event| (event.actor.as_str(), event.payload["item"].as_u64().unwrap() as u32))
        .collect();
    let wanted: Vec<(&str, u32)> = writes.iter().map(|(_, _, stance)| (stance.party.as_str(), stance.item)).collect();
    assert_eq!(added, wanted);
    parley_store::verify(&events).unwrap();
}

/// A read whose chain head is older than every view kept for its viewer (it read the head, then
/// waited while later heads' views were built) gives way when asked to: it is told to read the
/// head again rather than build its old head's view from the whole record. Asked not to, it gets
/// that view, the one the whole record at its head gives. A read's answer (`answer_read`) from
/// that old head is the one at the log's head now, with that head (here by the overtaken rule,
/// this process holding the later head's copy, before any view is looked for).
#[test]
fn a_read_behind_the_views_kept_gives_way() {
    let negotiation = parley_core::scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
    let id = negotiation.id.clone();
    let mut side = Side::new(&negotiation);
    let viewer = "public";
    let (old, old_head) = side.cache.folded(&mut *side.store, &id).unwrap();
    let old_view_head = side.cache.view_head(&old, &old_head, &id, viewer).unwrap();
    let admin = caller(&negotiation, 0);
    let round = negotiation.rounds.iter().find(|round| !round.planned).unwrap().id.clone();
    for (index, item) in negotiation.items.iter().take(3).enumerate() {
        let seq = side.store.head(&id).unwrap().unwrap().0;
        let stance = stance_in_round(&negotiation.parties[index].id, item.number, Position::Opposes, &round, Visibility::Public, "later");
        let (answers, _) = record_together(&mut side, &id, vec![(admin.clone(), seq.to_string(), stance)]);
        assert!(answers.into_iter().all(|answer| answer.is_ok()));
        // The later head's view, kept.
        let (current, head) = side.cache.folded(&mut *side.store, &id).unwrap();
        let view_head = side.cache.view_head(&current, &head, &id, viewer).unwrap();
        assert!(side.cache.view(&current, &head, &id, viewer, &view_head, true).unwrap().is_some(), "a read at the head builds");
    }
    let (current, head) = side.cache.folded(&mut *side.store, &id).unwrap();
    let current_view_head = side.cache.view_head(&current, &head, &id, viewer).unwrap();
    let count = |view: &parley_service::View| Ok(axum::body::Bytes::from(view.negotiation().stances.len().to_string()));
    let (text, answered_at) = side.cache.answer_read(&mut *side.store, &id, viewer, old_head.clone(), "stance count", count).unwrap();
    assert_eq!(answered_at.tag, current_view_head.tag, "answered at the log's head");
    let now = parley_service::view(current.as_ref().clone(), viewer).unwrap().negotiation().stances.len();
    assert_eq!(text, now.to_string());
    assert!(side.cache.view(&old, &old_head, &id, viewer, &old_view_head, true).unwrap().is_none(), "a read behind gives way");
    let built = side.cache.view(&old, &old_head, &id, viewer, &old_view_head, false).unwrap().expect("a view");
    let whole = parley_service::view(old.as_ref().clone(), viewer).unwrap();
    assert_eq!(json(built.negotiation()), json(whole.negotiation()));
    assert_eq!(built.negotiation().stances.len(), whole.negotiation().stances.len());
}

/// A store whose first group commit finds the chain head moved: just before it, another process
/// (its own connection to the same file, its own cache) records `race`. When `late` holds a head,
/// the first head read answers it instead of the log's (a read that read the head before a write
/// overtook it).
struct Racing {
    inner: Box<dyn Store>,
    race: Option<Box<dyn FnOnce() + Send>>,
    late: Option<(u64, String)>,
}

impl parley_store::EventStore for Racing {
    fn location(&self) -> &str {
        self.inner.location()
    }
    fn negotiations(&mut self) -> Result<Vec<String>, parley_store::StoreError> {
        self.inner.negotiations()
    }
    fn head(&mut self, negotiation: &str) -> Result<Option<(u64, String)>, parley_store::StoreError> {
        match self.late.take() {
            Some(late) => Ok(Some(late)),
            None => self.inner.head(negotiation),
        }
    }
    fn events(&mut self, negotiation: &str) -> Result<Vec<parley_store::Event>, parley_store::StoreError> {
        self.inner.events(negotiation)
    }
    fn append_presigned(
        &mut self,
        negotiation: &str,
        expected: u64,
        events: Vec<parley_store::NewEvent>,
        signer: Option<(&str, &ed25519_dalek::SigningKey)>,
        presigned: Option<&parley_store::chain::Presigned>,
        label: &str,
    ) -> Result<Vec<parley_store::Event>, parley_store::StoreError> {
        self.inner.append_presigned(negotiation, expected, events, signer, presigned, label)
    }
    fn append_groups(
        &mut self,
        negotiation: &str,
        expected: u64,
        groups: Vec<parley_store::Group<'_>>,
    ) -> Result<Vec<Vec<parley_store::Event>>, parley_store::StoreError> {
        if let Some(race) = self.race.take() {
            race();
        }
        self.inner.append_groups(negotiation, expected, groups)
    }
    fn apply_events(
        &mut self,
        negotiation: &str,
        after: u64,
        up_to: Option<u64>,
        folder: &mut parley_store::event::Folder,
    ) -> Result<u64, parley_store::StoreError> {
        self.inner.apply_events(negotiation, after, up_to, folder)
    }
    fn key_status(&mut self, negotiation: &str, party: &str) -> Result<parley_store::KeyStatus, parley_store::StoreError> {
        self.inner.key_status(negotiation, party)
    }
    fn hash_at(&mut self, negotiation: &str, seq: u64) -> Result<Option<String>, parley_store::StoreError> {
        self.inner.hash_at(negotiation, seq)
    }
    fn checkpoints(&mut self, negotiation: &str) -> Result<Vec<parley_store::Checkpoint>, parley_store::StoreError> {
        self.inner.checkpoints(negotiation)
    }
    fn checkpoint(&mut self, negotiation: &str, up_to: Option<u64>) -> Result<Option<parley_store::Checkpoint>, parley_store::StoreError> {
        self.inner.checkpoint(negotiation, up_to)
    }
    fn save_checkpoint(&mut self, negotiation: &str, checkpoint: &parley_store::Checkpoint) -> Result<bool, parley_store::StoreError> {
        self.inner.save_checkpoint(negotiation, checkpoint)
    }
}

impl parley_store::TokenStore for Racing {
    fn create_token(&mut self, new: &parley_store::NewToken) -> Result<parley_store::IssuedToken, parley_store::StoreError> {
        self.inner.create_token(new)
    }
    fn tokens(&mut self, negotiation: Option<&str>) -> Result<Vec<Token>, parley_store::StoreError> {
        self.inner.tokens(negotiation)
    }
    fn revoke_token(&mut self, id: &str) -> Result<bool, parley_store::StoreError> {
        self.inner.revoke_token(id)
    }
    fn token_for(&mut self, secret: &str) -> Result<Option<Token>, parley_store::StoreError> {
        self.inner.token_for(secret)
    }
    fn token_and_head(&mut self, secret: &str, negotiation: &str) -> Result<parley_store::TokenAndHead, parley_store::StoreError> {
        self.inner.token_and_head(secret, negotiation)
    }
}

impl parley_store::JobStore for Racing {
    fn create_job(&mut self, job: &parley_store::Job) -> Result<(), parley_store::StoreError> {
        self.inner.create_job(job)
    }
    fn job(&mut self, id: &str) -> Result<Option<parley_store::Job>, parley_store::StoreError> {
        self.inner.job(id)
    }
    fn update_job(
        &mut self,
        id: &str,
        state: &str,
        progress: f64,
        result: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), parley_store::StoreError> {
        self.inner.update_job(id, state, progress, result, error)
    }
    fn beat(&mut self, owner: &str) -> Result<(), parley_store::StoreError> {
        self.inner.beat(owner)
    }
    fn fail_orphans(&mut self) -> Result<usize, parley_store::StoreError> {
        self.inner.fail_orphans()
    }
}

fn caller_as(negotiation: &Negotiation, viewer: &str) -> Caller {
    Caller {
        token: Token {
            id: "t".to_owned(),
            negotiation: negotiation.id.clone(),
            viewer: viewer.to_owned(),
            write: true,
            label: format!("{viewer}'s token"),
            created_at: String::new(),
            revoked_at: None,
        },
    }
}

/// A party with a signing key: its unsigned stances waiting in a group (its own and the admin's on
/// its behalf) are refused exactly as one at a time, and the other parties' stances around them
/// go in.
#[test]
fn a_keyed_partys_unsigned_stances_in_a_group_are_refused_as_alone() {
    let negotiation = parley_core::scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
    let id = negotiation.id.clone();
    let round = negotiation.rounds.iter().find(|round| !round.planned).unwrap().id.clone();
    let (keyed, other) = (negotiation.parties[0].id.clone(), negotiation.parties[1].id.clone());
    let items: Vec<u32> = negotiation.items.iter().map(|item| item.number).take(3).collect();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let mut sides = [Side::signed(&negotiation, Some((&keyed, &key))), Side::signed(&negotiation, Some((&keyed, &key)))];
    let seq = sides[0].store.head(&id).unwrap().unwrap().0;
    let (keyed_caller, other_caller, admin) = (caller_as(&negotiation, &keyed), caller_as(&negotiation, &other), caller(&negotiation, 0));
    let probe = Change::Stance(stance_in_round(&keyed, items[0], Position::Opposes, &round, Visibility::Public, "raced"));
    let mut answers = Vec::new();
    let mut order = Vec::new();
    for (number, side) in sides.iter_mut().enumerate() {
        let (keyed_head, other_head) = (side.head(&id, &keyed_caller, &probe), side.head(&id, &other_caller, &probe));
        let writes = vec![
            (
                keyed_caller.clone(),
                keyed_head.clone(),
                stance_in_round(&keyed, items[0], Position::Opposes, &round, Visibility::Public, "raced"),
            ),
            (
                other_caller.clone(),
                other_head.clone(),
                stance_in_round(&other, items[0], Position::Opposes, &round, Visibility::Public, "raced"),
            ),
            (keyed_caller.clone(), keyed_head, stance_in_round(&keyed, items[1], Position::Opposes, &round, Visibility::Public, "raced")),
            (admin.clone(), seq.to_string(), stance_in_round(&keyed, items[2], Position::Opposes, &round, Visibility::Public, "raced")),
            (other_caller.clone(), other_head, stance_in_round(&other, items[1], Position::Opposes, &round, Visibility::Public, "raced")),
        ];
        let outcomes: Vec<String> = if number == 0 {
            let (outcomes, recorded) = grouped(side, &id, writes);
            order = recorded;
            outcomes
        } else {
            // One at a time, in the order the group recorded them.
            let mut outcomes = vec![String::new(); writes.len()];
            for &place in &order {
                let (caller, expected, stance) = &writes[place];
                outcomes[place] = outcome(record(&mut *side.store, &side.cache, &id, caller, expected, &Change::Stance(stance.clone())));
            }
            outcomes
        };
        answers.push((outcomes, side.events_after(&id, seq)));
    }
    assert_eq!(answers[0], answers[1]);
    let (outcomes, events) = &answers[0];
    for place in [1, 4] {
        assert_eq!(outcomes[place], "written: appended 1", "{outcomes:?}");
    }
    for place in [0, 2, 3] {
        assert!(outcomes[place].starts_with("SignatureRequired"), "{outcomes:?}");
    }
    assert_eq!(events.len(), 2, "{events:?}");
}

/// A group whose commit finds that another process appended first (the store's conflict) is
/// answered one write at a time, each exactly as it would be alone after that process's write:
/// here the other process records a party's private stance on an item. Another party's writes
/// and the admin's, on other items, still go in (nothing they depend on changed as they see it);
/// the party's own write on that item, made against its head before, is stale. The answers and
/// the events equal those of the same writes made one at a time after the same interleaving.
#[test]
fn a_group_another_process_overtook_is_answered_one_write_at_a_time() {
    let negotiation = parley_core::scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
    let id = negotiation.id.clone();
    let round = negotiation.rounds.iter().find(|round| !round.planned).unwrap().id.clone();
    let parties: Vec<String> = negotiation.parties.iter().map(|party| party.id.clone()).collect();
    let (hidden, writer) = (parties[0].clone(), parties[1].clone());
    let items: Vec<u32> = negotiation.items.iter().map(|item| item.number).take(3).collect();
    let race_write = stance_in_round(&hidden, items[0], Position::Opposes, &round, Visibility::Private, "raced");
    let race_caller = caller_as(&negotiation, &hidden);
    let mut sides = [Side::new(&negotiation), Side::new(&negotiation)];
    let seq = sides[0].store.head(&id).unwrap().unwrap().0;
    let mut answers = Vec::new();
    for (number, side) in sides.iter_mut().enumerate() {
        let other_process = {
            let (path, id, caller, change) =
                (side.store.location().to_owned(), id.clone(), race_caller.clone(), Change::Stance(race_write.clone()));
            move || {
                let mut store = parley_store::open_store(&path, false).unwrap();
                let cache = FoldCache::default();
                let head = record(&mut *store, &cache, &id, &caller, "no-such-head", &change).err().and_then(|error| error.head).unwrap();
                record(&mut *store, &cache, &id, &caller, &head, &change).unwrap();
            }
        };
        let writer_caller = caller_as(&negotiation, &writer);
        let admin = caller(&negotiation, 0);
        let probe = Change::Stance(stance_in_round(&writer, items[1], Position::Opposes, &round, Visibility::Public, "raced"));
        let writer_head = side.head(&id, &writer_caller, &probe);
        let hidden_head = side.head(&id, &race_caller, &probe);
        let writes = vec![
            (
                writer_caller.clone(),
                writer_head.clone(),
                stance_in_round(&writer, items[1], Position::Opposes, &round, Visibility::Public, "raced"),
            ),
            (admin, seq.to_string(), stance_in_round(&parties[2], items[2], Position::Opposes, &round, Visibility::Public, "raced")),
            (writer_caller, writer_head, stance_in_round(&writer, items[2], Position::Opposes, &round, Visibility::Public, "raced")),
            (race_caller.clone(), hidden_head, stance_in_round(&hidden, items[0], Position::Opposes, &round, Visibility::Public, "raced")),
        ];
        let outcomes: Vec<String> = if number == 1 {
            // The same file through a store that lets the other process in first.
            let inner = parley_store::open_store(side.store.location(), false).unwrap();
            side.store = Box::new(Racing { inner, race: Some(Box::new(other_process)), late: None });
            let (outcomes, order) = grouped(side, &id, writes);
            // All four joined the group (their heads were current when it was formed).
            assert_eq!(order, [0, 1, 2, 3]);
            outcomes
        } else {
            other_process();
            writes
                .into_iter()
                .map(|(caller, expected, stance)| {
                    outcome(record(&mut *side.store, &side.cache, &id, &caller, &expected, &Change::Stance(stance)))
                })
                .collect()
        };
        answers.push((outcomes, side.events_after(&id, seq)));
    }
    assert_eq!(answers[0], answers[1]);
    let (outcomes, events) = &answers[1];
    // The other process's write, then three of the four.
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(outcomes[..3].iter().all(|outcome| outcome == "written: appended 1"), "{outcomes:?}");
    assert!(outcomes[3].starts_with("StaleHead"), "{outcomes:?}");
    parley_store::verify(&sides[1].store.events(&id).unwrap()).unwrap();
}

/// The cached folder is taken, not copied, by whoever continues the fold: when applying events
/// fails midway (here an event of an unknown kind), the folder is gone with it, and the next
/// read at a later head must fold the record anew from the store rather than continue from a
/// half-applied folder or from none. It reads exactly the record the log holds.
#[test]
fn a_fold_whose_folder_was_taken_by_a_failed_apply_is_folded_anew() {
    let negotiation = parley_core::scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
    let id = negotiation.id.clone();
    let mut side = Side::new(&negotiation);
    let (before, head) = side.cache.folded(&mut *side.store, &id).unwrap();
    // A stance event applied first, then one the folder refuses: the folder took both.
    let round = negotiation.rounds.iter().find(|round| !round.planned).unwrap().id.clone();
    let stance =
        stance_in_round(&negotiation.parties[0].id, negotiation.items[0].number, Position::Opposes, &round, Visibility::Public, "raced");
    let event = parley_store::event::stance_added(&before, &stance);
    // Not the stance the log will hold: a folder left half-applied would show it.
    let other =
        stance_in_round(&negotiation.parties[1].id, negotiation.items[1].number, Position::Opposes, &round, Visibility::Public, "raced");
    let stray = parley_store::event::stance_added(&before, &other);
    let applied = |seq: u64, kind: &str| parley_store::Event {
        negotiation: id.clone(),
        seq,
        kind: kind.to_owned(),
        key: stray.key.clone(),
        op: stray.op,
        actor: stray.actor.clone(),
        recorded_at: "2026-01-01T00:00:00Z".to_owned(),
        payload: stray.payload.clone(),
        prev_hash: String::new(),
        hash: format!("{seq:064x}"),
        signature: None,
        label: String::new(),
    };
    let failed = side.cache.advance(&id, &head, &[applied(head.seq + 1, "stance"), applied(head.seq + 2, "no-such-kind")]);
    assert!(failed.is_err(), "an event of an unknown kind is refused");
    // The cached copy still answers at its head.
    assert_eq!(json(&*side.cache.folded(&mut *side.store, &id).unwrap().0), json(&*before));
    // Another process appends; the next read folds up to it without the taken folder.
    let group = parley_store::Group { events: vec![event.clone()], signer: None, presigned: None, label: "other process" };
    side.store.append_groups(&id, head.seq, vec![group]).unwrap();
    let (after, new) = side.cache.folded(&mut *side.store, &id).unwrap();
    assert_eq!(new.seq, head.seq + 1);
    let logged = parley_store::event::fold(&side.store.events(&id).unwrap(), None).unwrap().unwrap();
    assert_eq!(json(&*after), json(&logged));
    assert_eq!(after.stances.len(), before.stances.len() + 1);
}

/// A read that read the chain head before a write of this process overtook it answers at the
/// later head the write folded (the answer every read after it shares), once the log confirms
/// that head; a later copy whose head is not in the log (another database behind the same
/// negotiation id) is never taken, and the read answers at the log's head.
#[test]
fn a_read_overtaken_by_a_write_answers_at_the_later_head_the_log_holds() {
    let negotiation = parley_core::scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
    let id = negotiation.id.clone();
    let round = negotiation.rounds.iter().find(|round| !round.planned).unwrap().id.clone();
    let mut side = Side::new(&negotiation);
    let (_, before) = side.cache.folded(&mut *side.store, &id).unwrap();
    let writer = caller_as(&negotiation, &negotiation.parties[0].id);
    let change = Change::Stance(stance_in_round(
        &negotiation.parties[0].id,
        negotiation.items[0].number,
        Position::Opposes,
        &round,
        Visibility::Public,
        "raced",
    ));
    let expected = side.head(&id, &writer, &change);
    record(&mut *side.store, &side.cache, &id, &writer, expected.trim_matches('"'), &change).unwrap();
    let logged = parley_store::event::fold(&side.store.events(&id).unwrap(), None).unwrap().unwrap();
    let after = side.store.head(&id).unwrap().unwrap();
    assert_eq!(after.0, before.seq + 1);
    // The read reads the head before the write, and is answered at the write's.
    let Side { store, cache, _dir } = side;
    let mut late = Racing { inner: store, race: None, late: Some((before.seq, before.hash.clone())) };
    let (seen, at, view_head) = cache.viewed(&mut late, &id, "public").unwrap();
    assert!(late.late.is_none(), "the read read the late head");
    assert_eq!((at.seq, at.hash.clone()), after);
    assert_eq!(json(&*seen), json(&logged));
    let (_, _, now) = cache.viewed(&mut late, &id, "public").unwrap();
    assert_eq!(view_head, now, "the head a read at the log's head is told");
    // Another database under the same id, its log one event shorter: the cached later copy is
    // not in it, so the read answers at that log's own head.
    let mut other = Side::new(&negotiation);
    let (other_record, other_head) = other.cache.folded(&mut *other.store, &id).unwrap();
    let (seen, at, _) = cache.viewed(&mut *other.store, &id, "public").unwrap();
    assert_eq!(at, other_head);
    assert_eq!(json(&*seen), json(&*other_record));
    assert_eq!(seen.stances.len() + 1, logged.stances.len());
}
