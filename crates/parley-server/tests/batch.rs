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
        let dir = tempfile::tempdir().unwrap();
        let mut store = parley_store::open_store(dir.path().join("log.db").to_str().unwrap(), true).unwrap();
        store.import(negotiation, None).unwrap();
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

fn caller(negotiation: &Negotiation, selector: u8) -> Caller {
    let parties: Vec<&str> = negotiation.parties.iter().map(|party| party.id.as_str()).collect();
    let viewer = if selector % 3 == 0 { "admin" } else { parties[usize::from(selector) % parties.len()] };
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

/// Status, body (less head tags) and the events appended, or the error as the client sees it
/// (less head tags: the admin's is the chain head's hash, which covers each event's time of
/// recording, so the two stores' differ when their writes fall in different seconds).
fn outcome(answer: Result<(parley_server::writes::Written, parley_server::viewhead::ViewHead), ApiError>) -> String {
    match answer {
        Ok((written, _)) => format!("written: appended {}", written.appended),
        Err(error) => format!("{:?} {} {:?}", error.code, without_tags(&error.detail), error.errors),
    }
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
/// for the writes waiting for one turn; each one's answer, in order.
fn record_together(side: &mut Side, id: &str, writes: Vec<(Caller, String, Stance)>) -> Vec<Result<Recorded, ApiError>> {
    let mut answers = Vec::new();
    let batch = writes
        .into_iter()
        .map(|(caller, expected, stance)| {
            let (reply, answer) = tokio::sync::oneshot::channel();
            answers.push(answer);
            Pending { caller, expected, stance, reply }
        })
        .collect();
    parley_server::batch::record(&mut *side.store, &side.cache, id, batch);
    answers.into_iter().map(|mut answer| answer.try_recv().expect("every grouped write is answered")).collect()
}

/// Records `writes` (caller, head named, stance) as one group, as the server does for the writes
/// waiting together; each one's outcome.
fn grouped(side: &mut Side, id: &str, writes: Vec<(Caller, String, Stance)>) -> Vec<String> {
    record_together(side, id, writes)
        .into_iter()
        .map(|answer| {
            outcome(answer.map(|recorded| match recorded {
                Recorded::Written(written, head) => (written, head),
                Recorded::Prepared(_) => unreachable!("an unsigned write is never only prepared"),
            }))
        })
        .collect()
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
    runner
        .run(&prop::collection::vec(spec(), 1..7), |specs| {
            let (fast, slow) = &mut *sides.borrow_mut();
            let seq = fast.store.head(&id).unwrap().map_or(0, |(seq, _)| seq);
            prop_assert_eq!(seq, slow.store.head(&id).unwrap().map_or(0, |(seq, _)| seq));
            // Every viewer's head known before the groups (and before the same writes one at a
            // time, whose stances are remembered as appended alike).
            for side in [&mut *fast, &mut *slow] {
                let (current, head) = side.cache.folded(&mut *side.store, &id).unwrap();
                for viewer in viewers(&negotiation) {
                    side.cache.view_head(&current, &head, &id, &viewer).unwrap();
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
            let mut fast_answers = grouped(fast, &id, writes[..split].to_vec());
            fast_answers.extend(grouped(fast, &id, writes[split..].to_vec()));
            // One at a time, each naming the head it was made against: a later one may find it
            // stale only where its item and party were written before it in the same group.
            let mut slow_answers = Vec::new();
            for ((caller, _, stance), head) in writes.iter().zip(&slow_heads) {
                slow_answers.push(outcome(record(&mut *slow.store, &slow.cache, &id, caller, head, &Change::Stance(stance.clone()))));
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
                    prop_assert_eq!(continued, parley_server::viewhead::of(&current, &head, &viewer).unwrap(), "{}", viewer);
                }
            }
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
            let stance = Stance {
                party: (*party).to_owned(),
                item: item.number,
                position: Position::Accepts,
                at: Moment::Round(round.clone()),
                source: "grouped".to_owned(),
                visibility: Visibility::Public,
                note: String::new(),
                document: String::new(),
                version: None,
                readout: String::new(),
                bloc: None,
            };
            (admin.clone(), seq.to_string(), stance)
        })
        .collect();
    for answer in record_together(&mut side, &id, writes.clone()) {
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
