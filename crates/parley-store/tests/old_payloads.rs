//! Payloads stored before the record gained new fields must keep verifying and must read back to
//! the same payload: a field added to a model type is left out of the JSON when it holds its
//! default, so re-recording an old entity changes nothing and its hash stays what it was.

use parley_store::chain::seal_for_storage;
use parley_store::{NewEvent, Op, changes, fold, verify};
use serde_json::{Value as Json, json};

/// Events as a store written them before documents, readouts and withdrawn values existed.
fn old_events() -> Vec<NewEvent> {
    let event = |kind: &str, key: &str, payload: Json| NewEvent {
        kind: kind.to_owned(),
        key: key.to_owned(),
        op: Op::Upsert,
        actor: "import".to_owned(),
        payload,
    };
    vec![
        event("negotiation", "old", json!({"id": "old", "title": "Old", "description": "", "signatories": ["A"]})),
        event("party", "A", json!({"id": "A", "name": "A", "role": "principal", "members": []})),
        event(
            "issue",
            "rate",
            json!({"id": "rate", "name": "rate", "description": "", "kind": {"kind": "real", "min": 0.0, "max": 10.0, "unit": ""}}),
        ),
        event(
            "round",
            "r1",
            json!({"id": "r1", "title": "", "date": "2026-01-10", "planned": false, "venue": "", "kind": "meeting",
                   "participants": [], "summary": ""}),
        ),
        // A stance is attributed to its party, as every store has written it (verify checks this).
        NewEvent { actor: "A".to_owned(), ..event("stance", &stance_key(), old_stance()) },
        event(
            "item",
            "1",
            json!({"number": 1, "title": "Rate", "topic": "", "text": "", "settles": ["rate"], "proposes": {"rate": 2.5},
                   "introduced": "start", "by": null,
                   "revisions": [{"round": "r1", "by": null, "title": null, "text": "Changed.", "proposes": {"rate": 3.5},
                                  "removed": false, "restored": false, "note": "", "source": ""}]}),
        ),
    ]
}

/// A stance as stored before stances could name a document, a version or a readout.
fn old_stance() -> Json {
    json!({"party": "A", "item": 1, "position": "accepts", "at": {"round": "r1"}, "source": "", "visibility": "public", "note": ""})
}

/// Its key as the log has always made it: the SHA-256 of its sorted JSON text, and a count.
fn stance_key() -> String {
    format!("{}#1", parley_store::chain::sha256_hex(old_stance().to_string().as_bytes()))
}

// Regression: an item payload recorded before revisions could withdraw values (and before items
// belonged to documents) must read back to the identical payload, or every later import would
// record a spurious change and the old event's hash would no longer match what is re-derived.
#[test]
fn an_old_item_payload_still_verifies_and_reads_back_unchanged() {
    let events = old_events();
    let sealed: Vec<_> =
        seal_for_storage("old", None, events.clone(), "2026-01-10T00:00:00Z", None).into_iter().map(|(event, _)| event).collect();
    assert_eq!(verify(&sealed), Ok(0), "no event is signed");
    let negotiation = fold(&sealed, None).unwrap().expect("a negotiation");
    let again = changes(None, &negotiation);
    let item = again.iter().find(|event| event.kind == "item").expect("an item event");
    let old_item = events.iter().find(|event| event.kind == "item").unwrap();
    assert_eq!(item.payload, old_item.payload);
    assert!(changes(Some(&negotiation), &negotiation).is_empty());
}

// Regression: a stance recorded before stances could name a document, a version or a readout must
// keep its key and payload, or re-importing the same file would replace every stance.
#[test]
fn an_old_stance_keeps_its_key_and_payload() {
    let sealed: Vec<_> =
        seal_for_storage("old", None, old_events(), "2026-01-10T00:00:00Z", None).into_iter().map(|(event, _)| event).collect();
    let negotiation = fold(&sealed, None).unwrap().expect("a negotiation");
    let again = changes(None, &negotiation);
    let stance = again.iter().find(|event| event.kind == "stance").expect("a stance event");
    assert_eq!(stance.key, stance_key());
    assert_eq!(stance.payload, old_stance());
}

// Regression: a red line and a value claim recorded before red lines could name phases and claims
// a phase must read back to the identical payloads, or re-importing would record spurious changes
// and the old events' hashes would no longer match what is re-derived.
#[test]
fn an_old_red_line_and_value_claim_read_back_unchanged() {
    let red_line = json!({"id": "low", "party": "A", "expression": "rate <= 5", "description": "", "visibility": "public",
                          "since": "start", "until": null, "source": ""});
    let statement = json!({"id": "s1", "speaker": "A", "party": "A", "date": "2026-01-10", "round": null, "venue": "",
                           "outlet": "", "attribution": "named", "quote": "", "source": "",
                           "claims": [{"kind": {"kind": "value", "issue": "rate", "op": "<=", "values": [5.0], "of": "proposed"},
                                       "negated": false, "note": ""}]});
    let mut events = old_events();
    events.push(NewEvent { actor: "A".to_owned(), ..event_of("red-line", "low", red_line.clone()) });
    events.push(NewEvent { actor: "A".to_owned(), ..event_of("statement", "s1", statement.clone()) });
    let sealed: Vec<_> = seal_for_storage("old", None, events, "2026-01-10T00:00:00Z", None).into_iter().map(|(event, _)| event).collect();
    assert_eq!(verify(&sealed), Ok(0));
    let negotiation = fold(&sealed, None).unwrap().expect("a negotiation");
    let again = changes(None, &negotiation);
    assert_eq!(again.iter().find(|event| event.kind == "red-line").unwrap().payload, red_line);
    assert_eq!(again.iter().find(|event| event.kind == "statement").unwrap().payload, statement);
    assert!(!again.iter().any(|event| event.kind == "phases"), "a record without phases has no phases event");
}

fn event_of(kind: &str, key: &str, payload: Json) -> NewEvent {
    NewEvent { kind: kind.to_owned(), key: key.to_owned(), op: Op::Upsert, actor: "import".to_owned(), payload }
}
