//! The hash chain and signatures.
//!
//! An event's hash is SHA-256 over the canonical JSON array
//! `[negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash]` (object keys sorted,
//! no whitespace). A signature is ed25519 over the 32 hash bytes, by the key the actor registered
//! earlier in the same chain (a `key` event whose payload is `{"public_key": hex}`). Once a party
//! has registered a key, every later event attributed to it must be signed by its current key; a
//! later `key` upsert signed by that key rotates it, a `key` deletion signed by it revokes it for
//! good. Whether an event must be signed follows from hashed fields only, so a signature cannot
//! be stripped (`docs/store.md`, "Signatures"). A party writing over the server signs its
//! events' content and the view head it wrote against instead ([`crate::content`]); such a
//! signature is stored with a `view:` prefix, and checked here over those bytes.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::event::{Event, Folder, NewEvent, Payload};
use crate::store::{CHECKPOINT_FORMAT, Checkpoint};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|index| u8::from_str_radix(text.get(index..index + 2)?, 16).ok()).collect()
}

/// The bytes an event's hash covers (every field but the hash and the signature).
pub fn canonical(event: &Event) -> Vec<u8> {
    canonical_parts(event).0
}

/// [`canonical`], and where in it the payload's JSON text lies (the text a backend stores).
fn canonical_parts(event: &Event) -> (Vec<u8>, std::ops::Range<usize>) {
    // Written field by field (the same bytes as serialising the array), without copying the payload.
    let mut bytes = Vec::with_capacity(256);
    bytes.push(b'[');
    let fields: [&dyn erased::Json; 9] = [
        &event.negotiation,
        &event.seq,
        &event.kind,
        &event.key,
        &event.op.keyword(),
        &event.actor,
        &event.recorded_at,
        &event.payload,
        &event.prev_hash,
    ];
    let mut payload = 0..0;
    let label: [&dyn erased::Json; 1] = [&event.label];
    let labelled = if event.label.is_empty() { &[][..] } else { &label[..] };
    for (index, field) in fields.iter().chain(labelled).enumerate() {
        if index > 0 {
            bytes.push(b',');
        }
        let start = bytes.len();
        field.write(&mut bytes);
        if index == 7 {
            payload = start..bytes.len();
        }
    }
    bytes.push(b']');
    (bytes, payload)
}

mod erased {
    /// A value written as compact JSON; writing to a vector cannot fail.
    pub trait Json {
        fn write(&self, bytes: &mut Vec<u8>);
    }

    impl<T: serde::Serialize + ?Sized> Json for T {
        fn write(&self, bytes: &mut Vec<u8>) {
            let _ = serde_json::to_writer(bytes, self);
        }
    }
}

/// Checks that every event of `presigned`'s party in `sealed` carries a valid signature by `key`
/// (hex) and that no signature is left over; the first problem otherwise.
pub fn check_presigned(sealed: &[Event], presigned: &Presigned, key: &str) -> Result<(), String> {
    let key = unhex(key)
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| format!("`{}`'s registered key does not read", presigned.party))?;
    let own: Vec<&Event> = sealed.iter().filter(|event| event.actor == presigned.party).collect();
    if own.len() != presigned.signatures.len() {
        return Err(format!("{} signatures for {} events of `{}`", presigned.signatures.len(), own.len(), presigned.party));
    }
    for event in own {
        let (view_head, signature) = event
            .signature
            .as_deref()
            .and_then(crate::content::read)
            .ok_or_else(|| format!("the signature of event {} is not an ed25519 signature", event.seq))?;
        let hash = unhex(&event.hash).unwrap_or_default();
        let over = if view_head.is_some() { "content" } else { "hash" };
        key.verify(&crate::content::signed_bytes(event, view_head, &hash), &signature)
            .map_err(|_| format!("the signature of event {} is not `{}`'s over its {over}", event.seq, presigned.party))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_are_the_serialised_array() {
        let event = Event {
            negotiation: "n".to_owned(),
            seq: 7,
            kind: "stance".to_owned(),
            key: "k\"1".to_owned(),
            op: crate::event::Op::Upsert,
            actor: "UA".to_owned(),
            recorded_at: "2026-01-01T00:00:00Z".to_owned(),
            payload: serde_json::json!({"b": [1, 2.5, "é\n"], "a": null}),
            prev_hash: GENESIS.to_owned(),
            hash: "ignored".to_owned(),
            signature: Some("ignored".to_owned()),
            label: String::new(),
        };
        let expected = serde_json::json!(["n", 7, "stance", "k\"1", "upsert", "UA", "2026-01-01T00:00:00Z", event.payload, GENESIS]);
        assert_eq!(canonical(&event), expected.to_string().into_bytes());
        // A label (an event recorded over the server) is a tenth element; without one, the nine
        // elements above, so that events recorded before labels existed keep their hashes.
        let labelled = Event { label: "UA desk".to_owned(), ..event.clone() };
        let expected =
            serde_json::json!(["n", 7, "stance", "k\"1", "upsert", "UA", "2026-01-01T00:00:00Z", event.payload, GENESIS, "UA desk"]);
        assert_eq!(canonical(&labelled), expected.to_string().into_bytes());
    }

    /// A stance's key must be the digest of its content and a positive count written plainly.
    #[test]
    fn stance_keys_are_checked_against_their_content() {
        let stance = parley_core::model::Stance {
            party: "UA".to_owned(),
            item: 3,
            position: parley_core::model::Position::RedLine,
            at: parley_core::model::Moment::Start,
            source: String::new(),
            visibility: parley_core::model::Visibility::Public,
            note: "n".to_owned(),
            document: String::new(),
            version: None,
            readout: String::new(),
            bloc: None,
        };
        let digest = crate::event::stance_digest(&stance);
        let with_key = |key: String| {
            let event = NewEvent {
                kind: "stance".to_owned(),
                key,
                op: crate::event::Op::Upsert,
                actor: "UA".to_owned(),
                payload: serde_json::to_value(&stance).unwrap(),
            };
            let events: Vec<Event> =
                seal_for_storage("n", None, vec![event], "2026-01-01T00:00:00Z", None).into_iter().map(|(event, _)| event).collect();
            verify(&events)
        };
        for good in [format!("{digest}#1"), format!("{digest}#12")] {
            assert!(with_key(good.clone()).is_ok(), "{good}");
        }
        let other = sha256_hex(b"something else");
        for bad in
            [format!("{digest}#0"), format!("{digest}#01"), format!("{digest}#"), digest.clone(), format!("{other}#1"), "x#1".to_owned()]
        {
            let error = with_key(bad.clone()).unwrap_err();
            assert!(error.reason.contains("not the digest of its content"), "{bad}: {error}");
        }
    }

    /// Known answer: the exact bytes an event's hash covers, the hash, and the ed25519 signature
    /// over the 32 hash bytes (ed25519 is deterministic), for a fixed event and key. A change to
    /// any of them breaks every signature already recorded. (The values were checked with
    /// `sha256sum` and an independent ed25519 implementation.)
    #[test]
    fn the_signed_bytes_are_the_hash_of_the_canonical_array() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let stance = NewEvent {
            kind: "stance".to_owned(),
            key: "k#1".to_owned(),
            op: crate::event::Op::Upsert,
            actor: "UA".to_owned(),
            payload: serde_json::json!({"party": "UA", "position": "accepts"}),
        };
        let sealed = seal_for_storage("n", None, vec![stance], "2026-01-01T00:00:00Z", Some(("UA", &key)));
        let (event, stored_payload) = &sealed[0];
        let expected_bytes =
            format!(r#"["n",1,"stance","k#1","upsert","UA","2026-01-01T00:00:00Z",{{"party":"UA","position":"accepts"}},"{GENESIS}"]"#);
        assert_eq!(String::from_utf8(canonical(event)).unwrap(), expected_bytes);
        assert_eq!(stored_payload, r#"{"party":"UA","position":"accepts"}"#);
        assert_eq!(event.hash, sha256_hex(expected_bytes.as_bytes()));
        assert_eq!(event.hash, "ac933ce9df434e7a5e85b93e97995e0b66b5a2aebd0d8269c2dd1825f0524fea");
        assert_eq!(
            event.signature.as_deref(),
            Some(
                "add5906231af7fbc84f9851b673cf315d6b5e149c1c3b454d1e50b93ae86a1d5a25c21d52335f57350fe552f03c52d5d273f481393f734369d6bd77719905d09"
            )
        );
        let hash_bytes = unhex(&event.hash).unwrap();
        let signature = Signature::from_bytes(&unhex(event.signature.as_deref().unwrap()).unwrap().try_into().unwrap());
        key.verifying_key().verify(&hash_bytes, &signature).unwrap();
    }
}

/// Completes new events into chained, optionally signed events after `head` (seq, hash), each with
/// its payload as the JSON text to store (the text its hash covers, so a backend need not
/// serialise the payload a second time).
pub fn seal_for_storage(
    negotiation: &str,
    head: Option<(u64, String)>,
    events: Vec<NewEvent>,
    recorded_at: &str,
    signer: Option<(&str, &SigningKey)>,
) -> Vec<(Event, String)> {
    seal_labelled_for_storage(negotiation, head, events, recorded_at, signer, "")
}

/// As [`seal_for_storage`], every event carrying `label` (empty: none), which its hash covers.
pub fn seal_labelled_for_storage(
    negotiation: &str,
    head: Option<(u64, String)>,
    events: Vec<NewEvent>,
    recorded_at: &str,
    signer: Option<(&str, &SigningKey)>,
    label: &str,
) -> Vec<(Event, String)> {
    seal_presigned_for_storage(negotiation, head, events, recorded_at, signer, None, label)
}

/// Signatures made by a party's client over the events of a write it prepared (a write over the
/// server, `docs/security.md`): the time the events were stamped with, and the party's
/// signatures (hex) over the hashes of its events, in log order. The server never holds the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presigned {
    /// The party that signed.
    pub party: String,
    /// The `recorded_at` its signed hashes cover.
    pub recorded_at: String,
    /// One signature per event attributed to `party`, in order.
    pub signatures: Vec<String>,
    /// The view head the signatures bind (each over its event's content, `crate::content`);
    /// `None`: each over its event's hash.
    pub view_head: Option<String>,
}

/// As [`seal_labelled_for_storage`], the events of `presigned`'s party carrying its signatures
/// (in order) instead of being signed here.
pub fn seal_presigned_for_storage(
    negotiation: &str,
    head: Option<(u64, String)>,
    events: Vec<NewEvent>,
    recorded_at: &str,
    signer: Option<(&str, &SigningKey)>,
    presigned: Option<&Presigned>,
    label: &str,
) -> Vec<(Event, String)> {
    let mut given = presigned.map(|presigned| presigned.signatures.iter());
    let (mut seq, mut prev_hash) = head.unwrap_or((0, GENESIS.to_owned()));
    let mut sealed = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let mut sealed_event = Event {
            negotiation: negotiation.to_owned(),
            seq,
            kind: event.kind,
            key: event.key,
            op: event.op,
            actor: event.actor,
            recorded_at: recorded_at.to_owned(),
            payload: event.payload,
            prev_hash,
            hash: String::new(),
            signature: None,
            label: label.to_owned(),
        };
        let (bytes, payload) = canonical_parts(&sealed_event);
        let hash_bytes = Sha256::digest(&bytes);
        sealed_event.hash = hex(&hash_bytes);
        sealed_event.signature = match (signer, presigned) {
            (Some((party, key)), _) if party == sealed_event.actor => Some(hex(&key.sign(&hash_bytes).to_bytes())),
            (_, Some(presigned)) if presigned.party == sealed_event.actor => {
                let signature = given.as_mut().and_then(Iterator::next);
                match &presigned.view_head {
                    Some(view_head) => signature.map(|signature| crate::content::stored(view_head, signature)),
                    None => signature.cloned(),
                }
            }
            _ => None,
        };
        prev_hash = sealed_event.hash.clone();
        // serde_json writes UTF-8, so the slice is text.
        let text = String::from_utf8_lossy(&bytes[payload]).into_owned();
        sealed.push((sealed_event, text));
    }
    sealed
}

/// The first event that breaks the chain, and how.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} of `{negotiation}`: {reason}")]
pub struct VerifyError {
    pub negotiation: String,
    pub seq: u64,
    pub reason: String,
}

/// Checks a negotiation's events: numbering, links, hashes, attribution, stance keys and
/// signatures. Returns how many events are signed.
///
/// The rules beyond the chain itself (`docs/store.md`, "Verification"):
/// - an event is attributed to the party its payload names (`party` of a stance, red line,
///   preference or demand; a key event's `key`), and a deletion to whoever made the entity;
/// - a stance's key is the SHA-256 of its content followed by `#` and an occurrence count;
/// - once a party has registered a key, each later event attributed to it carries a valid
///   signature by its current key; a key event is signed by the key it replaces or revokes (a
///   first registration by the key it carries); after a revocation nothing more is attributed to
///   the party.
pub fn verify(events: &[Event]) -> Result<usize, VerifyError> {
    let mut keys: HashMap<String, KeyState> = HashMap::new();
    let mut owners: HashMap<(&str, &str), &str> = HashMap::new();
    let mut prev_hash = GENESIS.to_owned();
    let mut signed = 0;
    for (position, event) in events.iter().enumerate() {
        let fail = |reason: String| VerifyError { negotiation: event.negotiation.clone(), seq: event.seq, reason };
        let expected_seq = position as u64 + 1;
        if event.seq != expected_seq {
            // Named by the place it should hold: a tampered number (even a negative one, which
            // reads back as a huge unsigned one) is shown as stored.
            return Err(VerifyError {
                negotiation: event.negotiation.clone(),
                seq: expected_seq,
                reason: format!(
                    "the log holds an event numbered {} in its place (an event was removed, inserted or moved)",
                    event.seq as i64
                ),
            });
        }
        if event.prev_hash != prev_hash {
            return Err(fail("does not link to the event before it (the chain was edited here or before)".to_owned()));
        }
        let (bytes, payload) = canonical_parts(event);
        let hash_bytes = Sha256::digest(&bytes);
        if hex(&hash_bytes) != event.hash {
            return Err(fail("its content does not match its hash (it was edited)".to_owned()));
        }
        check_attribution(event, &bytes[payload], &mut owners, &keys).map_err(fail)?;
        let (view_head, signature) = match &event.signature {
            None => (None, None),
            Some(text) => {
                let (view_head, signature) = crate::content::read(text).ok_or_else(|| fail("malformed signature".to_owned()))?;
                (view_head, Some(signature))
            }
        };
        // A key event is signed locally, over its hash: it never carries a content signature.
        if view_head.is_some() && event.kind == "key" {
            return Err(fail("a key event signed over its content".to_owned()));
        }
        let message = crate::content::signed_bytes(event, view_head, &hash_bytes);
        let current = keys.get(&event.actor);
        if let Some(next) = check_signature(event, &message, signature.as_ref(), current).map_err(fail)? {
            keys.insert(event.actor.clone(), next);
        }
        signed += usize::from(signature.is_some());
        prev_hash = event.hash.clone();
    }
    Ok(signed)
}

/// Checks an event's signature against the state of its actor's key (`current`): required and
/// valid once there is a key, absent before, impossible after a revocation. Returns the actor's
/// next key state when the event is a key event.
fn check_signature(
    event: &Event,
    hash_bytes: &[u8],
    signature: Option<&Signature>,
    current: Option<&KeyState>,
) -> Result<Option<KeyState>, String> {
    let signed_by = |key: &VerifyingKey, whose: &str| -> Result<(), String> {
        let Some(signature) = signature else {
            return Err(format!("`{}` has a registered key, but this event of its is not signed by {whose}", event.actor));
        };
        key.verify(hash_bytes, signature).map_err(|_| format!("the signature is not by {whose} of `{}`", event.actor))
    };
    if event.kind != "key" {
        return match current {
            Some(KeyState::Active(key)) => signed_by(key, "its current key").map(|()| None),
            Some(KeyState::Revoked) => Err(format!("attributed to `{}` after it revoked its key", event.actor)),
            None if signature.is_some() => Err(format!("signed, but `{}` has no registered key before it", event.actor)),
            None => Ok(None),
        };
    }
    match (event.op, current) {
        (crate::event::Op::Upsert, Some(KeyState::Revoked)) => {
            Err(format!("registers a key for `{}` after its key was revoked", event.actor))
        }
        (crate::event::Op::Upsert, current) => {
            let carried = carried_key(&event.payload).ok_or_else(|| "malformed public key".to_owned())?;
            match current {
                Some(KeyState::Active(old)) => signed_by(old, "the key it replaces")?,
                _ => signed_by(&carried, "the key it registers")?,
            }
            Ok(Some(KeyState::Active(carried)))
        }
        (crate::event::Op::Delete, Some(KeyState::Active(old))) => {
            signed_by(old, "the key it revokes")?;
            Ok(Some(KeyState::Revoked))
        }
        (crate::event::Op::Delete, _) => Err(format!("revokes a key `{}` does not have", event.actor)),
    }
}

/// A party's signing key as the chain has it so far.
enum KeyState {
    Active(VerifyingKey),
    Revoked,
}

/// The public key a key event's payload carries.
fn carried_key(payload: &serde_json::Value) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = unhex(payload.get("public_key")?.as_str()?)?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Checks that an event's actor is the party the content is attributed to, that a stance's key is
/// derived from its content, and that no event changes or deletes an entity last written by
/// another party that signs its events (`keys`); `owners` holds the actor of each live entity.
fn check_attribution<'a>(
    event: &'a Event,
    payload_text: &[u8],
    owners: &mut HashMap<(&'a str, &'a str), &'a str>,
    keys: &HashMap<String, KeyState>,
) -> Result<(), String> {
    if event.kind == "key" {
        return if event.key == event.actor {
            Ok(())
        } else {
            Err(format!("a key event for `{}` attributed to `{}`", event.key, event.actor))
        };
    }
    let entity = (event.kind.as_str(), event.key.as_str());
    if let Some(owner) = owners.get(&entity).copied().filter(|owner| *owner != event.actor) {
        // Import attributes a deletion to whoever made the entity; an entity may change hands
        // (a red line's party, an item's drafter) only while its last author signs nothing.
        if event.op == crate::event::Op::Delete {
            return Err(format!("deletes an entity of `{owner}`, but is attributed to `{}`", event.actor));
        }
        if keys.contains_key(owner) {
            return Err(format!("changes an entity of `{owner}`, who signs its events, without its signature"));
        }
    }
    match event.op {
        crate::event::Op::Delete => {
            owners.remove(&entity);
        }
        crate::event::Op::Upsert => {
            let field = match event.kind.as_str() {
                "stance" | "red-line" | "preference" | "demand" | "statement" => "party",
                "item" => "by",
                _ => "",
            };
            let named = event.payload.get(field).and_then(|party| party.as_str());
            if let Some(party) = named.filter(|party| *party != event.actor) {
                return Err(format!("its {} belongs to `{party}`, but it is attributed to `{}`", event.kind, event.actor));
            }
            if event.kind == "stance" {
                check_stance_key(event, payload_text)?;
            }
            owners.insert(entity, event.actor.as_str());
        }
    }
    Ok(())
}

/// A stance's key is `DIGEST#COUNT`: the SHA-256 of its content and a positive occurrence count.
fn check_stance_key(event: &Event, payload_text: &[u8]) -> Result<(), String> {
    // The payload's canonical text is the stance's content as `import` keys it (object keys
    // sorted, every field: `event::stance_digest`), so its digest needs no second serialisation.
    let digest = sha256_hex(payload_text);
    let counted = event
        .key
        .split_once('#')
        .filter(|(found, count)| *found == digest && count.parse::<u64>().is_ok_and(|count| count >= 1) && !count.starts_with('0'));
    if counted.is_none() {
        return Err(format!("its key `{}` is not the digest of its content (`{digest}#N`)", event.key));
    }
    Ok(())
}

/// Checks a negotiation's checkpoints against its events (which [`verify`] has passed): each must
/// name the hash of the event it follows and hold exactly the state the events up to it fold
/// into. Checkpoints of another format are skipped (reads ignore them too). Returns how many were
/// checked; the error names the event the first bad checkpoint follows.
pub fn verify_checkpoints(events: &[Event], checkpoints: &[Checkpoint]) -> Result<usize, VerifyError> {
    let mut current: Vec<&Checkpoint> = checkpoints.iter().filter(|checkpoint| checkpoint.format == CHECKPOINT_FORMAT).collect();
    current.sort_by_key(|checkpoint| checkpoint.seq);
    let negotiation = events.first().map(|event| event.negotiation.clone()).unwrap_or_default();
    let fail = |seq: u64, reason: String| VerifyError { negotiation: negotiation.clone(), seq, reason };
    let mut folder = Folder::new();
    let mut applied = 0;
    for checkpoint in &current {
        let Some(event) = checkpoint.seq.checked_sub(1).and_then(|index| events.get(index as usize)) else {
            return Err(fail(checkpoint.seq, "a checkpoint follows this event, which the log does not hold".to_owned()));
        };
        if event.hash != checkpoint.hash {
            return Err(fail(checkpoint.seq, "the checkpoint after this event names another hash (it was edited)".to_owned()));
        }
        for event in &events[applied..checkpoint.seq as usize] {
            folder
                .apply(event.seq, &event.kind, &event.key, event.op, Payload::Json(&event.payload))
                .map_err(|error| fail(event.seq, format!("does not fold into the negotiation: {}", error.message)))?;
        }
        applied = checkpoint.seq as usize;
        match Folder::restore(&checkpoint.state) {
            Err(error) => {
                let reason = format!(
                    "the checkpoint after this event does not read back ({error}): it was edited, or written by a build with another layout under the same format number"
                );
                return Err(fail(checkpoint.seq, reason));
            }
            Ok(saved) if saved.snapshot() != folder.snapshot() => {
                let reason = "the checkpoint after this event does not hold the state the log folds into (it was edited)";
                return Err(fail(checkpoint.seq, reason.to_owned()));
            }
            Ok(_) => {}
        }
    }
    Ok(current.len())
}

/// A signing key from its 32 secret bytes in hex.
pub fn signing_key(hex_text: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = unhex(hex_text.trim())?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// The event replacing a party's key by `new`; it must be appended signed by the current key.
pub fn rotation_event(party: &str, new: &SigningKey) -> NewEvent {
    key_event(party, new)
}

/// The event revoking a party's key; it must be appended signed by that key. Nothing is
/// attributed to the party after it.
pub fn revocation_event(party: &str) -> NewEvent {
    NewEvent {
        kind: "key".to_owned(),
        key: party.to_owned(),
        op: crate::event::Op::Delete,
        actor: party.to_owned(),
        payload: serde_json::Value::Null,
    }
}

/// The event registering a party's public key.
pub fn key_event(party: &str, key: &SigningKey) -> NewEvent {
    NewEvent {
        kind: "key".to_owned(),
        key: party.to_owned(),
        op: crate::event::Op::Upsert,
        actor: party.to_owned(),
        payload: serde_json::json!({ "public_key": hex(&key.verifying_key().to_bytes()) }),
    }
}
