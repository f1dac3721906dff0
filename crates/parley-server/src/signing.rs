//! Signed writes: a party that registered a key signs its own writes on its own machine, so
//! that the server, which never holds the key, cannot forge what the party recorded.
//!
//! A write is made twice against the same head. First with `Parley-Sign: prepare`: the server
//! checks it as any write and answers the events it would append, sealed exactly as they would
//! be stored (number, previous hash, time, label, hash), appending nothing. The client checks
//! them (`parley push` recomputes every hash from the content it sent) and signs the hash of
//! each event attributed to its party, as `parley import --sign` would. Then the same write with
//! `Parley-Signature: RECORDED_AT SIG,SIG…` (the `recorded_at` of the prepared events and one
//! hex signature per event of the party, in order): the store seals the events again with that
//! time, checks every signature against the party's active key over the hashes it is about to
//! store, and appends them, or nothing. A moved head is 412 as for any write.
//!
//! A party whose key is active can only write this way: an unsigned write attributed to it is
//! refused (`signature_required`), as `parley import` refuses one.

use axum::http::HeaderMap;
use parley_store::chain::Presigned;
use parley_store::{Event, Negotiation, Store};
use serde::Serialize;

use crate::auth::Role;
use crate::error::{ApiError, Code};
use crate::reads::Head;
use crate::writes::Written;

/// How far a signed write's time may lie from the server's clock, in seconds: the client signs
/// the time the server proposed, and should check it against its own clock.
pub const CLOCK_WINDOW_SECONDS: u64 = 600;

/// The header asking for the events a write would append (`prepare`).
pub const SIGN_HEADER: &str = "parley-sign";

/// The header carrying a signed write's time and signatures.
pub const SIGNATURE_HEADER: &str = "parley-signature";

/// How a write is signed.
#[derive(Clone, Debug)]
pub enum Signing {
    /// Not signed (a party without a key, the mediator, the admin).
    None,
    /// Answer the sealed events; append nothing.
    Prepare,
    /// Append with the party's signatures.
    Signed(Presigned),
}

/// What a write did: appended, or (prepare) what it would append.
#[derive(Debug)]
pub enum Recorded {
    /// Appended (or changed nothing).
    Written(Written, Head),
    /// The events to sign.
    Prepared(Prepared),
}

/// The events a write would append, for its party to sign.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Prepared {
    /// The head the write is made against (`If-Match` form).
    pub head: String,
    /// The time the events are stamped with: send it back in `Parley-Signature`.
    pub recorded_at: String,
    /// The events, sealed as they would be stored (unsigned).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
}

impl Signing {
    /// The signing a request's headers ask for; only a party's token signs.
    pub fn of(headers: &HeaderMap, role: &Role) -> Result<Signing, ApiError> {
        let prepare = headers.get(SIGN_HEADER).map(|value| value.to_str().unwrap_or_default().trim().to_owned());
        let signature = headers.get(SIGNATURE_HEADER).map(|value| value.to_str().unwrap_or_default().trim().to_owned());
        let party = match role {
            Role::Party(party) => Some(party.clone()),
            _ => None,
        };
        match (prepare, signature) {
            (None, None) => Ok(Signing::None),
            (Some(_), Some(_)) => Err(ApiError::new(Code::BadQuery, "send either Parley-Sign: prepare or Parley-Signature, not both")),
            (Some(value), None) if value.eq_ignore_ascii_case("prepare") => Ok(Signing::Prepare),
            (Some(value), None) => Err(ApiError::new(Code::BadQuery, format!("Parley-Sign: expected `prepare`, got `{value}`"))),
            (None, Some(value)) => {
                let party = party.ok_or_else(|| ApiError::new(Code::Forbidden, "only a party's token signs its writes"))?;
                let (recorded_at, signatures) = value.split_once(' ').unwrap_or((value.as_str(), ""));
                check_time(recorded_at)?;
                let signatures: Vec<String> =
                    signatures.split(',').map(str::trim).filter(|signature| !signature.is_empty()).map(str::to_owned).collect();
                Ok(Signing::Signed(Presigned { party, recorded_at: recorded_at.to_owned(), signatures }))
            }
        }
    }
}

/// A signed write's time: the form every event's `recorded_at` has, within the clock window.
fn check_time(recorded_at: &str) -> Result<(), ApiError> {
    let bad = || ApiError::new(Code::BadQuery, "Parley-Signature: expected `RECORDED_AT SIG,SIG…` with the prepared events' recorded_at");
    let shaped = recorded_at.len() == 20
        && recorded_at.bytes().enumerate().all(|(index, byte)| match index {
            4 | 7 => byte == b'-',
            10 => byte == b'T',
            13 | 16 => byte == b':',
            19 => byte == b'Z',
            _ => byte.is_ascii_digit(),
        });
    if !shaped {
        return Err(bad());
    }
    let now = parley_store::store::now_utc();
    let (earliest, latest) = window();
    if recorded_at < earliest.as_str() || recorded_at > latest.as_str() {
        return Err(ApiError::new(
            Code::BadQuery,
            format!(
                "Parley-Signature: the time {recorded_at} is more than {CLOCK_WINDOW_SECONDS} s from the server's ({now}); prepare again"
            ),
        ));
    }
    Ok(())
}

/// The earliest and latest times a signed write may carry.
fn window() -> (String, String) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0);
    let stamp = |seconds: u64| {
        // Through the store's own clock format: a negotiation id of none, just the time.
        parley_store::store::utc_of(seconds)
    };
    (stamp(now.saturating_sub(CLOCK_WINDOW_SECONDS)), stamp(now + CLOCK_WINDOW_SECONDS))
}

/// The sealed events `wanted` would append after `head`.
pub fn prepare(store: &mut dyn Store, wanted: &Negotiation, head: &Head, label: &str) -> Result<Prepared, ApiError> {
    let recorded_at = parley_store::store::now_utc();
    let events = store.prepare(wanted, head.seq, &recorded_at, label).map_err(ApiError::store)?;
    Ok(Prepared { head: head.etag(), recorded_at, events })
}
