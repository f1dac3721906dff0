//! Signatures over an event's content and the view it was written in, not over its hash.
//!
//! A party writing over the server may not see the whole log, so it cannot be shown the chain
//! (the previous hash and the event number depend on events hidden from it). It signs instead
//! what it can see: each of its events' content — negotiation, kind, key, op, actor, time and
//! payload — together with the view head it made the write against (`docs/api.md`, "Heads"),
//! which binds the signature to the visible state the party saw. Such a signature is stored as
//! `view:VIEW_HEAD:SIG` ([`CONTENT_SIGNATURE`]); a signature without the prefix is over the
//! event's hash, as before, so logs signed that way verify exactly as they did.

use ed25519_dalek::{Signature, Signer, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::chain::{hex, unhex};
use crate::event::{Event, Op};

/// The prefix of a stored signature over content and a view head.
pub const CONTENT_SIGNATURE: &str = "view:";

/// The tag the signed bytes start with.
const DOMAIN: &str = "parley-content/1";

/// An event as a party's client is shown it to sign: its content, without number or chain fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// The negotiation.
    pub negotiation: String,
    /// The entity kind.
    pub kind: String,
    /// The entity key.
    pub key: String,
    /// Upsert or delete.
    pub op: Op,
    /// Whom the event is attributed to.
    pub actor: String,
    /// When it is recorded.
    pub recorded_at: String,
    /// The entity.
    pub payload: serde_json::Value,
}

impl Content {
    /// The content of `event`.
    pub fn of(event: &Event) -> Content {
        Content {
            negotiation: event.negotiation.clone(),
            kind: event.kind.clone(),
            key: event.key.clone(),
            op: event.op,
            actor: event.actor.clone(),
            recorded_at: event.recorded_at.clone(),
            payload: event.payload.clone(),
        }
    }

    /// The 32 bytes signed: SHA-256 of the compact JSON array
    /// `["parley-content/1", negotiation, kind, key, op, actor, recorded_at, payload, view_head]`.
    pub fn message(&self, view_head: &str) -> [u8; 32] {
        let array = serde_json::json!([
            DOMAIN,
            self.negotiation,
            self.kind,
            self.key,
            self.op.keyword(),
            self.actor,
            self.recorded_at,
            self.payload,
            view_head
        ]);
        Sha256::digest(serde_json::to_vec(&array).unwrap_or_default()).into()
    }
}

/// The client's side of a signed write: signs the content of each event attributed to `party`
/// with `key`, bound to `view_head` (the head the write is made against); the signatures (hex),
/// in order.
pub fn sign_content(events: &[Content], party: &str, key: &SigningKey, view_head: &str) -> Vec<String> {
    events.iter().filter(|event| event.actor == party).map(|event| hex(&key.sign(&event.message(view_head)).to_bytes())).collect()
}

/// The stored form of a content signature `signature` (hex) made against `view_head`.
pub fn stored(view_head: &str, signature: &str) -> String {
    format!("{CONTENT_SIGNATURE}{view_head}:{signature}")
}

/// A stored signature: the view head it binds (for a content signature) and the signature.
/// `None` when it does not read.
pub fn read(stored: &str) -> Option<(Option<&str>, Signature)> {
    let (view_head, text) = match stored.strip_prefix(CONTENT_SIGNATURE) {
        Some(rest) => {
            let (view_head, text) = rest.split_once(':')?;
            (Some(view_head), text)
        }
        None => (None, stored),
    };
    let bytes: [u8; 64] = unhex(text)?.try_into().ok()?;
    Some((view_head, Signature::from_bytes(&bytes)))
}

/// The bytes a stored signature of `event` is over: its content with the view head, or its hash.
pub fn signed_bytes(event: &Event, view_head: Option<&str>, hash_bytes: &[u8]) -> Vec<u8> {
    match view_head {
        Some(view_head) => Content::of(event).message(view_head).to_vec(),
        None => hash_bytes.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier;

    /// Known answer: the bytes a content signature covers. Changing them breaks every content
    /// signature already recorded.
    #[test]
    fn a_content_signature_covers_the_tagged_array() {
        let content = Content {
            negotiation: "n".into(),
            kind: "stance".into(),
            key: "k#1".into(),
            op: Op::Upsert,
            actor: "A".into(),
            recorded_at: "2026-01-01T00:00:00Z".into(),
            payload: serde_json::json!({"b": 1, "a": "x"}),
        };
        let expected = br#"["parley-content/1","n","stance","k#1","upsert","A","2026-01-01T00:00:00Z",{"a":"x","b":1},"v"]"#;
        assert_eq!(content.message("v"), <[u8; 32]>::from(Sha256::digest(expected)));
        let key = SigningKey::from_bytes(&[3; 32]);
        let signatures = sign_content(std::slice::from_ref(&content), "A", &key, "v");
        let text = stored("v", &signatures[0]);
        let (view_head, signature) = read(&text).unwrap();
        assert_eq!(view_head, Some("v"));
        key.verifying_key().verify(&content.message("v"), &signature).unwrap();
        assert!(key.verifying_key().verify(&content.message("w"), &signature).is_err(), "bound to the view head");
        assert!(sign_content(&[content], "B", &key, "v").is_empty());
        assert!(read("view:v").is_none() && read("zz").is_none());
    }
}
