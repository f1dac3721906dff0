//! The hash chain and signatures.
//!
//! An event's hash is SHA-256 over the canonical JSON array
//! `[negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash]` (object keys sorted,
//! no whitespace). A signature is ed25519 over the 32 hash bytes, by the key the actor registered
//! earlier in the same chain (a `key` event whose payload is `{"public_key": hex}`).

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
    for (index, field) in fields.iter().enumerate() {
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
        };
        let expected = serde_json::json!(["n", 7, "stance", "k\"1", "upsert", "UA", "2026-01-01T00:00:00Z", event.payload, GENESIS]);
        assert_eq!(canonical(&event), expected.to_string().into_bytes());
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
        };
        let (bytes, payload) = canonical_parts(&sealed_event);
        let hash_bytes = Sha256::digest(&bytes);
        sealed_event.hash = hex(&hash_bytes);
        sealed_event.signature = match signer {
            Some((party, key)) if party == sealed_event.actor => Some(hex(&key.sign(&hash_bytes).to_bytes())),
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

/// Checks a negotiation's events: numbering, links, hashes and every signature.
pub fn verify(events: &[Event]) -> Result<usize, VerifyError> {
    let mut keys: HashMap<String, VerifyingKey> = HashMap::new();
    let mut prev_hash = GENESIS.to_owned();
    let mut signed = 0;
    for (position, event) in events.iter().enumerate() {
        let fail = |reason: String| VerifyError { negotiation: event.negotiation.clone(), seq: event.seq, reason };
        let expected_seq = position as u64 + 1;
        if event.seq != expected_seq {
            return Err(fail(format!(
                "numbered {} where {expected_seq} was expected (an event was removed, inserted or moved)",
                event.seq
            )));
        }
        if event.prev_hash != prev_hash {
            return Err(fail("does not link to the event before it (the chain was edited here or before)".to_owned()));
        }
        let hash_bytes = Sha256::digest(canonical(event));
        if hex(&hash_bytes) != event.hash {
            return Err(fail("its content does not match its hash (it was edited)".to_owned()));
        }
        // A key event registers (or rotates) its party's key: it is checked against the key
        // already registered, or, for the first registration, against the key it carries.
        let carried = if event.kind == "key" && event.op == crate::event::Op::Upsert {
            let public = event.payload.get("public_key").and_then(|value| value.as_str()).and_then(unhex);
            Some(
                public
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
                    .ok_or_else(|| fail("malformed public key".to_owned()))?,
            )
        } else {
            None
        };
        if let Some(signature) = &event.signature {
            let key = keys
                .get(&event.actor)
                .or(carried.as_ref().filter(|_| event.key == event.actor))
                .ok_or_else(|| fail(format!("signed, but `{}` has no registered key before it", event.actor)))?;
            let bytes: [u8; 64] =
                unhex(signature).and_then(|bytes| bytes.try_into().ok()).ok_or_else(|| fail("malformed signature".to_owned()))?;
            key.verify(&hash_bytes, &Signature::from_bytes(&bytes))
                .map_err(|_| fail(format!("the signature is not `{}`'s", event.actor)))?;
            signed += 1;
        } else if carried.is_some() && keys.contains_key(&event.key) {
            return Err(fail(format!("replaces `{}`'s key without a signature by the old one", event.key)));
        }
        if let Some(key) = carried {
            keys.insert(event.key.clone(), key);
        }
        prev_hash = event.hash.clone();
    }
    Ok(signed)
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
