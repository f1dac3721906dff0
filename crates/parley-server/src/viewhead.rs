//! Heads a viewer may know: the tag a viewer's `ETag`, `If-Match`, listed head, write answer and
//! stale-head problem carry.
//!
//! The log's chain head (its last event's hash and number) depends on every event, hidden ones
//! included: shown to a party, it would change when only a hidden event was appended, count the
//! hidden events, and let the party confirm a guess of a hidden stance by recomputing the chain
//! hash. So only a viewer who sees everything (`admin`) is given the chain head. Every other
//! viewer's head is SHA-256 over [`DOMAIN`], the viewer's name and the canonical JSON of its view
//! of the record (the value of the `scenario` route), each followed by a zero byte: it changes
//! exactly when something that viewer can see changes, and is the same on a server holding only
//! that viewer's export.

use parley_core::model::Negotiation;
use parley_core::visibility::Viewer;

use crate::error::ApiError;
use crate::reads::Head;

/// The prefix a view head's hash covers, so that it can never equal another hash of the record.
pub const DOMAIN: &str = "parley view head v1";

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

/// The head `viewer` (a token's viewer) is told for `negotiation`, the record folded at `head`.
pub fn of(negotiation: &Negotiation, head: &Head, viewer: &str) -> Result<ViewHead, ApiError> {
    let view = parley_service::view(negotiation.clone(), viewer).map_err(ApiError::service)?;
    if *view.viewer() == Viewer::Everything {
        return Ok(ViewHead { tag: head.hash.clone(), seq: Some(head.seq) });
    }
    Ok(ViewHead { tag: tag(viewer, view.negotiation())?, seq: None })
}

/// The view head of `viewer` whose view of the record is `viewed`.
pub fn tag(viewer: &str, viewed: &Negotiation) -> Result<String, ApiError> {
    use sha2::{Digest, Sha256};
    let value = serde_json::to_value(viewed).map_err(ApiError::internal)?;
    let mut hasher = Sha256::new();
    for part in [DOMAIN.as_bytes(), viewer.as_bytes(), &serde_json::to_vec(&value).map_err(ApiError::internal)?] {
        hasher.update(part);
        hasher.update([0u8]);
    }
    Ok(parley_store::chain::hex(&hasher.finalize()))
}
