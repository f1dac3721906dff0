//! A server keeps a [`Folder`] and applies only the events after its head (`Folder::negotiation`
//! on the copy it continues from): that must give exactly the negotiation a fold of the whole
//! log gives, for any log and any point the copy was taken at.

use parley_store::event::{Folder, Payload};
use parley_store::{NewEvent, Op, changes, fold};
use proptest::prelude::*;

/// The events that record the bundled Ukraine scenario, as the pool random logs draw from.
fn pool() -> Vec<NewEvent> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/ukraine-2025.toml")).unwrap();
    let negotiation = parley_core::scenario::parse(&text).unwrap().negotiation;
    changes(None, &negotiation)
}

/// A log: the header first, then events drawn from the pool, some turned into deletions.
fn log(pool: &[NewEvent], picks: &[(usize, bool)]) -> Vec<parley_store::Event> {
    let mut chosen = vec![pool[0].clone()];
    for &(index, delete) in picks {
        let mut event = pool[1 + index % (pool.len() - 1)].clone();
        if delete {
            event.op = Op::Delete;
            event.payload = serde_json::Value::Null;
        }
        chosen.push(event);
    }
    chosen
        .into_iter()
        .enumerate()
        .map(|(index, event)| parley_store::Event {
            negotiation: "ukraine-2025".to_owned(),
            seq: index as u64 + 1,
            kind: event.kind,
            key: event.key,
            op: event.op,
            actor: event.actor,
            recorded_at: "2026-01-01T00:00:00Z".to_owned(),
            payload: event.payload,
            prev_hash: String::new(),
            hash: String::new(),
            signature: None,
            label: String::new(),
        })
        .collect()
}

/// A fold's outcome in a comparable form (the model has no `PartialEq`; its JSON is exact).
fn outcome(
    folded: Result<Option<parley_core::model::Negotiation>, parley_store::event::FoldError>,
) -> Result<Option<serde_json::Value>, String> {
    folded.map(|negotiation| negotiation.map(|negotiation| serde_json::to_value(negotiation).unwrap())).map_err(|error| error.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn an_incremental_fold_is_the_full_fold(picks in prop::collection::vec((0usize..10_000, prop::bool::weighted(0.2)), 0..200), split in 0usize..200, again in 0usize..200) {
        let pool = pool();
        let events = log(&pool, &picks);
        let full = outcome(fold(&events, None));
        // Folded up to `split`, read there, then continued up to `again` and to the end.
        let mut folder = Folder::new();
        let mut read = Vec::new();
        for (position, event) in events.iter().enumerate() {
            if position == split.min(events.len()) || position == again.min(events.len()) {
                read.push((event.seq - 1, outcome(folder.negotiation())));
            }
            folder.apply(event.seq, &event.kind, &event.key, event.op, Payload::Json(&event.payload)).map_err(|error| error.to_string()).unwrap();
        }
        prop_assert_eq!(outcome(folder.negotiation()), full);
        for (seq, negotiation) in read {
            prop_assert_eq!(negotiation, outcome(fold(&events, Some(seq))), "at {}", seq);
        }
    }
}
