//! Signatures against whoever holds the file: the attack of a party's events rewritten without its
//! key, key rotation and revocation, and signed head statements that catch truncation.

use ed25519_dalek::SigningKey;
use parley_store::chain::{revocation_event, rotation_event};
use parley_store::head::HeadStatement;
use parley_store::{Event, EventStore, KeyStatus, StoreError, verify};

use super::{Target, scenario};

impl Target {
    /// Puts the append-only triggers back, as an attacker covering its tracks would.
    pub fn restore_triggers(&self) {
        let sql = if self.is_postgres() {
            "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
                 FOR EACH ROW EXECUTE FUNCTION parley_events_append_only();
             CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
                 FOR EACH STATEMENT EXECUTE FUNCTION parley_events_append_only();"
        } else {
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
             CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
        };
        self.sql(sql).unwrap();
    }

    /// Replaces the stored events from `events[from]` on with `events[from..]`, around the
    /// triggers, as anyone holding the database can.
    pub fn rewrite_from(&self, events: &[Event], from: usize) {
        let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
        let negotiation = &events[0].negotiation;
        let mut sql = format!("DELETE FROM events WHERE negotiation = {} AND seq >= {};", quote(negotiation), from + 1);
        for event in &events[from..] {
            sql.push_str(&format!(
                "INSERT INTO events (negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash, hash, signature) \
                 VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});",
                quote(&event.negotiation),
                event.seq,
                quote(&event.kind),
                quote(&event.key),
                quote(event.op.keyword()),
                quote(&event.actor),
                quote(&event.recorded_at),
                quote(&event.payload.to_string()),
                quote(&event.prev_hash),
                quote(&event.hash),
                event.signature.as_deref().map_or("NULL".to_owned(), quote),
            ));
        }
        self.drop_triggers();
        self.sql(&sql).unwrap();
        self.restore_triggers();
    }
}

/// Renumbers and re-links `events` from `from` on, each hash computed by the formula
/// `docs/store.md` documents (SHA-256 of the JSON array of the fields, keys sorted), not by the
/// library: what an attacker reading the documentation would do.
pub fn rechain(events: &mut [Event], from: usize) {
    use sha2::Digest;
    for index in from..events.len() {
        let prev_hash = if index == 0 { parley_store::chain::GENESIS.to_owned() } else { events[index - 1].hash.clone() };
        let event = &mut events[index];
        event.seq = index as u64 + 1;
        event.prev_hash = prev_hash;
        let array = serde_json::json!([
            event.negotiation,
            event.seq,
            event.kind,
            event.key,
            event.op.keyword(),
            event.actor,
            event.recorded_at,
            event.payload,
            event.prev_hash
        ]);
        event.hash = parley_store::chain::hex(&sha2::Sha256::digest(array.to_string().as_bytes()));
    }
}

/// The 2025 scenario imported with UA signing; returns its events.
fn signed_import(store: &mut dyn EventStore, key: &SigningKey) -> Vec<Event> {
    let negotiation = scenario("ukraine-2025.toml");
    store.import(&negotiation, Some(("UA", key))).unwrap();
    store.events(&negotiation.id).unwrap()
}

/// Regression test for "a party's signed events can be rewritten without its key": strip UA's
/// signatures from one of its stances on, turn that red line into an acceptance, recompute every
/// hash by the documented formula and put the triggers back. `verify` used to say ok (the
/// signatures were optional once a key was registered, and a stance's key was not checked
/// against its content); now it names the rewritten event. Rewriting the log from before UA's
/// key registration leaves a valid chain, which only a head statement UA signed can tell from
/// the real one.
pub fn a_partys_signed_events_can_be_rewritten_without_its_key(fresh: &dyn Fn() -> Target) {
    let key = SigningKey::from_bytes(&[7; 32]);
    type Attack = fn(&mut Event);
    let attacks: [(&str, Attack, &str); 4] = [
        ("the stance's key recomputed from its new content", |event| rekey(event), "not signed"),
        ("the stance's key kept", |_| {}, "digest of its content"),
        ("the stance attributed to `import`", |event| event.actor = "import".to_owned(), "attributed"),
        (
            "both: re-keyed and attributed to `import`",
            |event| {
                rekey(event);
                event.actor = "import".to_owned();
            },
            "attributed",
        ),
    ];
    for (what, attack, reason) in attacks {
        let target = fresh();
        let mut store = target.open();
        let mut events = signed_import(&mut *store, &key);
        let signed_before = verify(&events).unwrap();
        assert!(signed_before > 5, "{what}: {signed_before} signed");
        let from = events
            .iter()
            .position(|event| event.kind == "stance" && event.payload["position"] == "red-line" && event.actor == "UA")
            .unwrap();
        for event in &mut events[from..] {
            event.signature = None;
        }
        events[from].payload["position"] = serde_json::json!("accepts");
        attack(&mut events[from]);
        rechain(&mut events, from);
        target.rewrite_from(&events, from);
        let stored = store.events(&events[0].negotiation).unwrap();
        assert_eq!(stored, events, "{what}: the rewrite is in the database");
        let error = verify(&stored).expect_err(what);
        assert_eq!(error.seq, from as u64 + 1, "{what}: {error}");
        assert!(error.reason.contains(reason), "{what}: {error}");
    }

    // The whole log rewritten without UA's key event: a valid chain of no signatures, which the
    // head statement UA signed before catches.
    let target = fresh();
    let mut store = target.open();
    let mut events = signed_import(&mut *store, &key);
    let last = events.last().unwrap().clone();
    let statement = HeadStatement::sign(&last.negotiation, last.seq, &last.hash, "UA", &key);
    statement.check_against(&events).unwrap();
    assert_eq!(events[0].kind, "key");
    events.remove(0);
    for event in &mut events {
        event.signature = None;
    }
    let from = events.iter().position(|event| event.kind == "stance" && event.payload["position"] == "red-line").unwrap();
    events[from].payload["position"] = serde_json::json!("accepts");
    rekey(&mut events[from]);
    rechain(&mut events, 0);
    target.rewrite_from(&events, 0);
    let stored = store.events(&last.negotiation).unwrap();
    assert_eq!(verify(&stored).unwrap(), 0, "a consistent log of no signatures");
    let error = statement.check_against(&stored).unwrap_err();
    assert!(error.reason.starts_with("truncated"), "{error}");
}

/// A stance's key recomputed from its (edited) content, as `import` keys it.
pub fn rekey(event: &mut Event) {
    let stance: parley_core::model::Stance = serde_json::from_value(event.payload.clone()).unwrap();
    event.key = format!("{}#1", parley_store::event::stance_digest(&stance));
}

/// Truncating the newest events leaves a valid chain; a signed head statement of the longer log
/// says so, and says which event a log rewritten before the head differs at.
pub fn truncation_is_caught_against_a_signed_head(fresh: &dyn Fn() -> Target) {
    let target = fresh();
    let mut store = target.open();
    let key = SigningKey::from_bytes(&[7; 32]);
    let witness = SigningKey::from_bytes(&[9; 32]);
    let events = signed_import(&mut *store, &key);
    let id = events[0].negotiation.clone();
    let head = events.last().unwrap();
    let mut statement = HeadStatement::sign(&id, head.seq, &head.hash, "UA", &key);
    statement.countersign("witness", &witness).unwrap();
    statement.check().unwrap();
    statement.check_against(&events).unwrap();
    // A countersignature over another head does not verify.
    let mut forged = statement.clone();
    forged.seq -= 1;
    assert!(forged.check().is_err());
    // Regression: `check_against` trusted the statement's signatures once its key matched a
    // registered one; a statement whose signature does not hold now fails there too.
    let mut tampered = statement.clone();
    tampered.hash = events[events.len() - 2].hash.clone();
    tampered.seq = head.seq - 1;
    let error = tampered.check_against(&events).unwrap_err();
    assert!(error.reason.starts_with("the head statement does not hold"), "{error}");

    // The newest three events removed: the chain still verifies, the statement does not hold.
    let keep = events.len() - 3;
    target.drop_triggers();
    target.sql(&format!("DELETE FROM events WHERE seq > {keep}")).unwrap();
    target.restore_triggers();
    let truncated = store.events(&id).unwrap();
    verify(&truncated).unwrap();
    let error = statement.check_against(&truncated).unwrap_err();
    assert_eq!(error.seq, head.seq);
    assert!(error.reason.starts_with("truncated") && error.reason.contains("UA, witness"), "{error}");

    // A log rewritten before the stated head (and as long): "rewritten", naming the stated event.
    let target = fresh();
    let mut store = target.open();
    let mut events = signed_import(&mut *store, &key);
    let statement = HeadStatement::sign(&id, events.len() as u64, &events.last().unwrap().hash, "witness", &witness);
    let from = events.iter().position(|event| event.kind == "round").unwrap();
    events[from].recorded_at = "2020-01-01T00:00:00Z".to_owned();
    rechain(&mut events, from);
    // UA's events after it keep their (now wrong) signatures: the chain fails there too, but the
    // statement check alone says where the logs part.
    let error = statement.check_against(&events).unwrap_err();
    assert!(error.reason.starts_with("rewritten"), "{error}");

    // A party that signs a head with a key it never registered is named.
    let stranger = SigningKey::from_bytes(&[3; 32]);
    let events = store.events(&id).unwrap();
    let last = events.last().unwrap();
    let error = HeadStatement::sign(&id, last.seq, &last.hash, "UA", &stranger).check_against(&events).unwrap_err();
    assert!(error.reason.contains("never registered"), "{error}");
}

/// Rotation is a key event signed by the old key; revocation a key deletion signed by the
/// current one, after which nothing more is attributed to the party. Unsigned changes of a party
/// with a key are refused before anything is written.
pub fn keys_rotate_and_revoke_by_signed_events(fresh: &dyn Fn() -> Target) {
    let target = fresh();
    let mut store = target.open();
    let old = SigningKey::from_bytes(&[7; 32]);
    let new = SigningKey::from_bytes(&[8; 32]);
    let mut negotiation = scenario("ukraine-2025.toml");
    let id = negotiation.id.clone();
    store.import(&negotiation, Some(("UA", &old))).unwrap();
    let public = |key: &SigningKey| parley_store::chain::hex(&key.verifying_key().to_bytes());
    assert_eq!(store.key_status(&id, "UA").unwrap(), KeyStatus::Active(public(&old)));

    // A change of UA's imported without its key is refused, nothing written.
    let ua_stance = negotiation.stances.iter().position(|stance| stance.party == "UA").unwrap();
    std::sync::Arc::make_mut(&mut negotiation.stances[ua_stance]).note = "changed".to_owned();
    let head = store.head(&id).unwrap();
    let error = store.import(&negotiation, None).unwrap_err();
    assert!(matches!(error, StoreError::SignatureRequired { ref party, .. } if party == "UA"), "{error}");
    let error = store.import(&negotiation, Some(("RU", &new))).unwrap_err();
    assert!(matches!(error, StoreError::SignatureRequired { .. }), "{error}");
    assert_eq!(store.head(&id).unwrap(), head);

    // A rotation signed by the new key alone is a forgery.
    let mut forged_log = store.events(&id).unwrap();
    let seq = head.as_ref().unwrap().0;
    let forged = parley_store::chain::seal_for_storage(
        &id,
        head.clone(),
        vec![rotation_event("UA", &new)],
        "2026-01-01T00:00:00Z",
        Some(("UA", &new)),
    );
    forged_log.push(forged[0].0.clone());
    let error = verify(&forged_log).unwrap_err();
    assert!(error.seq == seq + 1 && error.reason.contains("the key it replaces"), "{error}");

    // The real rotation, signed by the old key; then the old key no longer signs UA's events.
    store.append(&id, seq, vec![rotation_event("UA", &new)], Some(("UA", &old))).unwrap();
    assert_eq!(store.key_status(&id, "UA").unwrap(), KeyStatus::Active(public(&new)));
    assert!(matches!(store.import(&negotiation, Some(("UA", &old))).unwrap_err(), StoreError::KeyMismatch { .. }));
    let appended = store.import(&negotiation, Some(("UA", &new))).unwrap();
    assert!(!appended.is_empty() && appended.iter().all(|event| event.signature.is_some()));
    let events = store.events(&id).unwrap();
    verify(&events).unwrap();
    // An event of UA's signed by the rotated-out key fails.
    let mut stale = events.clone();
    let late = parley_store::chain::seal_for_storage(
        &id,
        Some((events.len() as u64, events.last().unwrap().hash.clone())),
        vec![super::event("UA", "late")],
        "2026-01-01T00:00:00Z",
        Some(("UA", &old)),
    );
    stale.push(late[0].0.clone());
    assert!(verify(&stale).unwrap_err().reason.contains("its current key"));

    // Revocation, signed by the current key: UA's events end there.
    let head = store.head(&id).unwrap().unwrap().0;
    store.append(&id, head, vec![revocation_event("UA")], Some(("UA", &new))).unwrap();
    assert_eq!(store.key_status(&id, "UA").unwrap(), KeyStatus::Revoked);
    let events = store.events(&id).unwrap();
    verify(&events).unwrap();
    std::sync::Arc::make_mut(&mut negotiation.stances[ua_stance]).note = "after revocation".to_owned();
    for signer in [None, Some(("UA", &new)), Some(("UA", &old))] {
        let error = store.import(&negotiation, signer).unwrap_err();
        assert!(matches!(error, StoreError::KeyRevoked { .. }), "{error}");
    }
    // Written around the checks, a later event of UA's, signed or not, or a new key, fails verify.
    for (event, signer) in [
        (super::event("UA", "late"), Some(("UA", &new))),
        (super::event("UA", "late"), None),
        (parley_store::chain::key_event("UA", &old), Some(("UA", &old))),
    ] {
        let mut extended = events.clone();
        let sealed = parley_store::chain::seal_for_storage(
            &id,
            Some((events.len() as u64, events.last().unwrap().hash.clone())),
            vec![event],
            "2026-01-01T00:00:00Z",
            signer,
        );
        extended.push(sealed[0].0.clone());
        let error = verify(&extended).unwrap_err();
        assert!(error.reason.contains("revoked"), "{error}");
    }
    // Other parties' changes still import.
    let ru = negotiation.stances.iter().position(|stance| stance.party == "RU").unwrap();
    std::sync::Arc::make_mut(&mut negotiation.stances[ua_stance]).note = "changed".to_owned();
    std::sync::Arc::make_mut(&mut negotiation.stances[ru]).note = "RU's own change".to_owned();
    assert!(!store.import(&negotiation, None).unwrap().is_empty());
    verify(&store.events(&id).unwrap()).unwrap();
}

/// A party that signs its events keeps what it wrote: another party cannot take over its red line
/// (same id, new party) without it, neither through `import` nor written around it; an entity
/// whose last author signs nothing may still change hands.
pub fn a_signing_partys_entity_does_not_change_hands_unsigned(fresh: &dyn Fn() -> Target) {
    let target = fresh();
    let mut store = target.open();
    let key = SigningKey::from_bytes(&[7; 32]);
    let mut negotiation = scenario("ukraine-2025.toml");
    let id = negotiation.id.clone();
    store.import(&negotiation, Some(("UA", &key))).unwrap();
    let red_line = negotiation.red_lines.iter().position(|red_line| red_line.party == "UA").unwrap();
    negotiation.red_lines[red_line].party = "RU".to_owned();
    let head = store.head(&id).unwrap();
    for signer in [None, Some(("UA", &key))] {
        let error = store.import(&negotiation, signer).unwrap_err();
        assert!(matches!(error, StoreError::ChangesHands { ref party, .. } if party == "UA"), "{error}");
    }
    assert_eq!(store.head(&id).unwrap(), head);
    // Written around the check, the chain fails at that event.
    let events = store.events(&id).unwrap();
    let moved = parley_store::changes(Some(&store.negotiation(&id, None).unwrap()), &negotiation);
    assert_eq!(moved.len(), 1);
    let sealed = parley_store::chain::seal_for_storage(&id, head.clone(), moved, "2026-01-01T00:00:00Z", None);
    let mut extended = events.clone();
    extended.push(sealed[0].0.clone());
    let error = verify(&extended).unwrap_err();
    assert!(error.seq == extended.len() as u64 && error.reason.contains("who signs its events"), "{error}");

    // A red line of RU's, which signs nothing, may pass to another party.
    let mut negotiation = scenario("ukraine-2025.toml");
    let theirs = negotiation.red_lines.iter().position(|red_line| red_line.party == "RU").unwrap();
    negotiation.red_lines[theirs].party = "US".to_owned();
    assert_eq!(store.import(&negotiation, None).unwrap().len(), 1);
    verify(&store.events(&id).unwrap()).unwrap();
}
