//! Heads a viewer may know: the tag a viewer's `ETag`, `If-Match`, listed head, write answer and
//! stale-head problem carry.
//!
//! The log's chain head (its last event's hash and number) depends on every event, hidden ones
//! included: shown to a party, it would change when only a hidden event was appended, count the
//! hidden events, and let the party confirm a guess of a hidden stance by recomputing the chain
//! hash. So only a viewer who sees everything (`admin`) is given the chain head. Every other
//! viewer's head is a hash of its view of the record (the value of the `scenario` route) and of
//! nothing else ([`Parts`]): it changes exactly when something that viewer can see changes, and is
//! the same on a server holding only that viewer's export. Its stances are hashed as a chain, one
//! after another, so that the head after stances were added is computed from the head before and
//! the new stances alone ([`Parts::extended`]), not from the whole view again.

use parley_core::model::{Negotiation, Stance};
use parley_core::visibility::Viewer;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::reads::Head;

/// The prefix a view head's hash covers, so that it can never equal another hash of the record.
pub const DOMAIN: &str = "parley view head v2";

/// The head as one viewer is told it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewHead {
    /// The tag (hex): the chain head's hash for a viewer who sees everything, else the view's hash.
    pub tag: String,
    /// The chain head's number, only for a viewer who sees everything.
    pub seq: Option<u64>,
}

impl ViewHead {
    /// The `ETag` (and `If-Match`) form: the tag, quoted.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.tag)
    }

    /// Whether `expected` (an `If-Match` value, unquoted) names this head: its tag, or for a
    /// viewer who sees everything also the chain head's number.
    pub fn named_by(&self, expected: &str) -> bool {
        expected == self.tag || self.seq.is_some_and(|seq| expected == seq.to_string())
    }
}

/// What a view head hashes, for a viewer who does not see everything: the SHA-256 of the compact
/// JSON of the view without its stances, and the chain of its stances (32 zero bytes, then for
/// each stance in order the SHA-256 of the chain so far and the stance's compact JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    rest: [u8; 32],
    stances: [u8; 32],
}

impl Parts {
    /// The parts of the view `viewed`.
    pub fn of(viewed: &Negotiation) -> Result<Parts, ApiError> {
        let rest =
            Sha256::digest(serde_json::to_vec(&viewed.with_stances(parley_core::model::Stances::new())).map_err(ApiError::internal)?)
                .into();
        Parts { rest, stances: [0; 32] }.extended(viewed.stances.iter())
    }

    /// The parts of the same view with `stances` (as the view shows them) added at the end.
    pub fn extended<'a>(mut self, stances: impl IntoIterator<Item = &'a std::sync::Arc<Stance>>) -> Result<Parts, ApiError> {
        for stance in stances {
            let mut hasher = Sha256::new();
            hasher.update(self.stances);
            hasher.update(serde_json::to_vec(stance).map_err(ApiError::internal)?);
            self.stances = hasher.finalize().into();
        }
        Ok(self)
    }

    /// The view head of `viewer` whose view has these parts: SHA-256 over [`DOMAIN`], the viewer,
    /// the rest's hash and the stances' chain, each followed by a zero byte (hex).
    pub fn tag(&self, viewer: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [DOMAIN.as_bytes(), viewer.as_bytes(), &self.rest, &self.stances] {
            hasher.update(part);
            hasher.update([0u8]);
        }
        parley_store::chain::hex(&hasher.finalize())
    }
}

/// The head `viewer` (a token's viewer) is told for `negotiation`, the record folded at `head`,
/// with the parts it was computed from (none for a viewer who sees everything).
pub fn with_parts(negotiation: &Negotiation, head: &Head, viewer: &str) -> Result<(ViewHead, Option<Parts>), ApiError> {
    let view = parley_service::view(negotiation.clone(), viewer).map_err(ApiError::service)?;
    if *view.viewer() == Viewer::Everything {
        return Ok((ViewHead { tag: head.hash.clone(), seq: Some(head.seq) }, None));
    }
    let parts = Parts::of(view.negotiation())?;
    Ok((ViewHead { tag: parts.tag(viewer), seq: None }, Some(parts)))
}

/// As [`with_parts`], for `negotiation` whose stances after the first `before` were added after
/// the view head whose parts are `parts` (nothing else changed): only the new stances are viewed
/// and hashed.
pub fn after_stances(negotiation: &Negotiation, before: usize, parts: Parts, viewer: &str) -> Result<(ViewHead, Parts), ApiError> {
    let added = parley_service::stances_added(negotiation, before, viewer).map_err(ApiError::service)?;
    let parts = parts.extended(&added)?;
    Ok((ViewHead { tag: parts.tag(viewer), seq: None }, parts))
}

/// The head `viewer` (a token's viewer) is told for `negotiation`, the record folded at `head`.
pub fn of(negotiation: &Negotiation, head: &Head, viewer: &str) -> Result<ViewHead, ApiError> {
    with_parts(negotiation, head, viewer).map(|(view_head, _)| view_head)
}

/// The view head of `viewer` whose view of the record is `viewed`.
pub fn tag(viewer: &str, viewed: &Negotiation) -> Result<String, ApiError> {
    Parts::of(viewed).map(|parts| parts.tag(viewer))
}
