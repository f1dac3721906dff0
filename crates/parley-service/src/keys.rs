//! A party's signing key (rotation, revocation) and signed statements of a log's head.

use ed25519_dalek::SigningKey;
use parley_store::chain::{hex, revocation_event, rotation_event};
use parley_store::head::HeadStatement;
use parley_store::{EventStore, KeyStatus, StoreError};

use crate::ServiceError;

/// What to do with a party's key.
#[derive(Debug)]
pub enum KeyChange {
    /// Sign with `new` from the next event on.
    Rotate {
        /// The new key.
        new: Box<SigningKey>,
    },
    /// Record nothing more as the party's own.
    Revoke,
}

/// A key change as recorded.
#[derive(Debug)]
pub struct KeyChanged {
    /// The number of the event that records it.
    pub event: u64,
    /// The new public key (hex), for a rotation; `None` for a revocation.
    pub public_key: Option<String>,
}

/// Records `change` of `party`'s key in negotiation `id`, signed with its `current` key, which
/// must be the one registered (a mismatch, a revoked key, no key, or a "new" key that is the
/// current one are bad input).
pub fn change_key(
    store: &mut dyn EventStore,
    id: &str,
    party: &str,
    current: &SigningKey,
    change: KeyChange,
) -> Result<KeyChanged, ServiceError> {
    let (event, public_key) = match &change {
        KeyChange::Rotate { new } => (rotation_event(party, new), Some(hex(&new.verifying_key().to_bytes()))),
        KeyChange::Revoke => (revocation_event(party), None),
    };
    let offered = hex(&current.verifying_key().to_bytes());
    let party_owned = party.to_owned();
    match store.key_status(id, party).map_err(ServiceError::store)? {
        KeyStatus::Active(registered) if registered == offered => {}
        KeyStatus::Active(registered) => {
            return Err(ServiceError::store(StoreError::KeyMismatch { party: party_owned, registered, offered }));
        }
        KeyStatus::Revoked => return Err(ServiceError::store(StoreError::KeyRevoked { negotiation: id.to_owned(), party: party_owned })),
        KeyStatus::None => return Err(ServiceError::store(StoreError::NoKey { negotiation: id.to_owned(), party: party_owned })),
    }
    if public_key.as_deref() == Some(offered.as_str()) {
        return Err(ServiceError::BadInput(format!("the new key of `{party}` is the one it already has")));
    }
    let head = store.head(id).map_err(ServiceError::store)?.map_or(0, |(seq, _)| seq);
    let stored = store.append(id, head, vec![event], Some((party, current))).map_err(ServiceError::store)?;
    Ok(KeyChanged { event: stored.first().map_or(0, |event| event.seq), public_key })
}

/// A statement of negotiation `id`'s head in `store`, signed by `signer` with `key`.
pub fn sign_head(store: &mut dyn EventStore, id: &str, signer: &str, key: &SigningKey) -> Result<HeadStatement, ServiceError> {
    let (seq, hash) = store.head(id).map_err(ServiceError::store)?.ok_or_else(|| ServiceError::store(store.unknown(id)))?;
    Ok(HeadStatement::sign(id, seq, &hash, signer, key))
}
