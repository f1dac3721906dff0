//! Writes computed against an earlier head, as the server makes them.

use parley_store::StoreError;

use super::Target;

/// A change computed from the state at a head that has since moved is refused whole: applying
/// its differences to the newer state would undo the write made in between.
pub fn import_after_a_moved_head_is_a_conflict_and_writes_nothing(fresh: &dyn Fn() -> Target) {
    let target = fresh();
    let mut store = parley_store::open_store(&target.url, true).unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/ukraine-2025.toml")).unwrap();
    let first = parley_core::scenario::parse(&text).unwrap().negotiation;
    store.import(&first, None).unwrap();
    let (head, hash) = store.head(&first.id).unwrap().unwrap();
    let mut retitled = first.clone();
    retitled.title = "Another title".into();
    let mut described = first.clone();
    described.description = "Another description".into();
    let appended = store.import_after(&retitled, None, head, "UA desk").unwrap();
    assert!(appended.iter().all(|event| event.label == "UA desk"));
    let moved = store.head(&first.id).unwrap().unwrap();
    assert_ne!(moved, (head, hash));
    let error = store.import_after(&described, None, head, "").unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
    assert_eq!(store.head(&first.id).unwrap().unwrap(), moved);
    assert_eq!(store.negotiation(&first.id, None).unwrap().title, "Another title");
    // The label reads back and its hash covers it: the chain verifies with it.
    let events = store.events(&first.id).unwrap();
    assert_eq!(events.last().unwrap().label, "UA desk");
    assert!(events.iter().rev().skip(appended.len()).all(|event| event.label.is_empty()));
    parley_store::verify(&events).unwrap();
}
