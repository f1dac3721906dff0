//! Signed head statements: a party or an independent witness signs "this negotiation's log had
//! event `seq` with hash `hash`", so that a log later cut short, or rewritten at or before that
//! event, can be told from the real one (as Certificate Transparency's signed tree heads do).
//!
//! Every signer of a statement (the first and each countersigner) signs the same bytes, the
//! canonical JSON array `["parley-head/1", negotiation, seq, hash]` ([`HeadStatement::message`]).
//! They start with a text no event's signed bytes (32 raw hash bytes) can, so a head signature is
//! never mistaken for an event signature or the other way round.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::chain::{VerifyError, hex, unhex};
use crate::event::Event;

/// The format tag of a head statement, the first element of what is signed.
pub const HEAD_FORMAT: &str = "parley-head/1";

/// A negotiation's head as one signer saw it, with the countersignatures of others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadStatement {
    /// Always [`HEAD_FORMAT`].
    pub format: String,
    pub negotiation: String,
    /// The sequence number of the head event.
    pub seq: u64,
    /// The head event's hash (hex).
    pub hash: String,
    /// Who signed first (a party id, or any name of a witness).
    pub signer: String,
    /// The signer's ed25519 public key (hex).
    pub public_key: String,
    /// The signer's signature (hex) over [`HeadStatement::message`].
    pub signature: String,
    /// Others who signed the same message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countersignatures: Vec<HeadSignature>,
}

/// One countersignature of a head statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadSignature {
    pub signer: String,
    pub public_key: String,
    pub signature: String,
}

/// Why a head statement is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HeadError(pub String);

impl HeadStatement {
    /// A statement of `negotiation`'s head `(seq, hash)`, signed by `signer`.
    pub fn sign(negotiation: &str, seq: u64, hash: &str, signer: &str, key: &SigningKey) -> HeadStatement {
        let message = message(negotiation, seq, hash);
        HeadStatement {
            format: HEAD_FORMAT.to_owned(),
            negotiation: negotiation.to_owned(),
            seq,
            hash: hash.to_owned(),
            signer: signer.to_owned(),
            public_key: hex(&key.verifying_key().to_bytes()),
            signature: hex(&key.sign(&message).to_bytes()),
            countersignatures: Vec::new(),
        }
    }

    /// The bytes every signer signs.
    pub fn message(&self) -> Vec<u8> {
        message(&self.negotiation, self.seq, &self.hash)
    }

    /// Adds `signer`'s countersignature (after checking the signatures already there).
    pub fn countersign(&mut self, signer: &str, key: &SigningKey) -> Result<(), HeadError> {
        self.check()?;
        if self.signer == signer || self.countersignatures.iter().any(|other| other.signer == signer) {
            return Err(HeadError(format!("`{signer}` has already signed this head statement")));
        }
        self.countersignatures.push(HeadSignature {
            signer: signer.to_owned(),
            public_key: hex(&key.verifying_key().to_bytes()),
            signature: hex(&key.sign(&self.message()).to_bytes()),
        });
        Ok(())
    }

    /// Checks the format and every signature, each under the public key it names.
    pub fn check(&self) -> Result<(), HeadError> {
        if self.format != HEAD_FORMAT {
            return Err(HeadError(format!("format `{}`, expected `{HEAD_FORMAT}`", self.format)));
        }
        let message = self.message();
        let first = HeadSignature { signer: self.signer.clone(), public_key: self.public_key.clone(), signature: self.signature.clone() };
        for one in std::iter::once(&first).chain(&self.countersignatures) {
            let key = unhex(&one.public_key)
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
                .ok_or_else(|| HeadError(format!("`{}`'s public key is malformed", one.signer)))?;
            let signature = unhex(&one.signature)
                .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
                .map(|bytes| Signature::from_bytes(&bytes))
                .ok_or_else(|| HeadError(format!("`{}`'s signature is malformed", one.signer)))?;
            key.verify(&message, &signature)
                .map_err(|_| HeadError(format!("`{}`'s signature does not match the statement", one.signer)))?;
        }
        Ok(())
    }

    /// Everyone who signed, first signer first.
    pub fn signers(&self) -> Vec<&str> {
        std::iter::once(self.signer.as_str()).chain(self.countersignatures.iter().map(|one| one.signer.as_str())).collect()
    }

    /// Checks that `events` (a verified log of the statement's negotiation) hold the stated head,
    /// and that each signer who is a party with keys in the log signed with one of them. The
    /// error names the stated event: the log ends before it (truncated), or holds another event
    /// there (rewritten at or before it).
    pub fn check_against(&self, events: &[Event]) -> Result<(), VerifyError> {
        let fail = |reason: String| VerifyError { negotiation: self.negotiation.clone(), seq: self.seq, reason };
        // A statement whose own signatures do not hold proves nothing about any log.
        if let Err(error) = self.check() {
            return Err(fail(format!("the head statement does not hold: {error}")));
        }
        let held = events.len() as u64;
        let Some(event) = self.seq.checked_sub(1).and_then(|index| events.get(index as usize)) else {
            return Err(fail(format!(
                "truncated: the log ends at event {held}, but the head statement signed by {} names event {} (hash {})",
                self.signers().join(", "),
                self.seq,
                self.hash
            )));
        };
        if event.hash != self.hash {
            return Err(fail(format!(
                "rewritten: the log's event {} has hash {}, but the head statement signed by {} names {} (the log was changed at or before it)",
                self.seq,
                event.hash,
                self.signers().join(", "),
                self.hash
            )));
        }
        let first = HeadSignature { signer: self.signer.clone(), public_key: self.public_key.clone(), signature: self.signature.clone() };
        for one in std::iter::once(&first).chain(&self.countersignatures) {
            let registered: Vec<&str> = events[..self.seq as usize]
                .iter()
                .filter(|event| event.kind == "key" && event.key == one.signer && event.op == crate::event::Op::Upsert)
                .filter_map(|event| event.payload.get("public_key").and_then(|key| key.as_str()))
                .collect();
            if !registered.is_empty() && !registered.contains(&one.public_key.as_str()) {
                return Err(fail(format!("`{}` signed the head statement with a key it never registered in the log", one.signer)));
            }
        }
        Ok(())
    }
}

/// The canonical JSON array `["parley-head/1", negotiation, seq, hash]`.
fn message(negotiation: &str, seq: u64, hash: &str) -> Vec<u8> {
    serde_json::to_vec(&(HEAD_FORMAT, negotiation, seq, hash)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answer: the exact bytes a head statement's signers sign, and the signature of a fixed
    /// key over them.
    #[test]
    fn a_head_statement_signs_the_tagged_array() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let hash = "ab".repeat(32);
        let statement = HeadStatement::sign("ukraine-2025", 42, &hash, "UA", &key);
        assert_eq!(String::from_utf8(statement.message()).unwrap(), format!(r#"["parley-head/1","ukraine-2025",42,"{hash}"]"#));
        assert_eq!(statement.public_key, hex(&key.verifying_key().to_bytes()));
        assert_eq!(
            statement.signature,
            "a6661a03eaf8c056dd9ebb31d11d006b10fb791b3f8f3a6532edf5e16ae63856b305ac8195cb8e9e02b493023a4fa46ca06d8935d8998a0f4809cb6efcbbb004"
        );
        statement.check().unwrap();
        let text = serde_json::to_string(&statement).unwrap();
        let read: HeadStatement = serde_json::from_str(&text).unwrap();
        assert_eq!(read, statement);
        // Any field changed, the signature no longer holds.
        for edit in [
            |s: &mut HeadStatement| s.seq += 1,
            |s: &mut HeadStatement| s.negotiation.push('x'),
            |s: &mut HeadStatement| s.hash = "cd".repeat(32),
        ] {
            let mut edited = statement.clone();
            edit(&mut edited);
            assert!(edited.check().is_err());
        }
    }
}
