//! Checking a database's logs: chains, signatures, checkpoints, and a head statement.

use parley_store::EventStore;
use parley_store::head::HeadStatement;

use crate::ServiceError;

/// One negotiation's verdict, as `verify --json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct ChainReport {
    /// The negotiation's id.
    pub negotiation: String,
    /// Whether everything checked holds.
    pub ok: bool,
    /// How many events its log holds.
    pub events: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// How many of them are signed (when the log holds).
    pub signed: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// How many checkpoints were checked (when the log holds).
    pub checkpoints: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The hash of the last event (when the log holds).
    pub head: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The first event that does not hold.
    pub first_bad_event: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Why it does not.
    pub reason: Option<String>,
}

impl ChainReport {
    /// The report of a negotiation that fails before its events are read.
    fn failed(error: parley_store::VerifyError) -> ChainReport {
        ChainReport {
            negotiation: error.negotiation,
            ok: false,
            events: 0,
            signed: None,
            checkpoints: None,
            head: None,
            first_bad_event: Some(error.seq),
            reason: Some(error.reason),
        }
    }
}

/// Checks every negotiation `store` holds (its chain, signatures and checkpoints), and, when
/// given, that the log still holds the head `statement` names. One report per negotiation.
pub fn verify(store: &mut dyn EventStore, statement: Option<&HeadStatement>) -> Result<Vec<ChainReport>, ServiceError> {
    let mut reports = Vec::new();
    let negotiations = store.negotiations().map_err(ServiceError::store)?;
    if let Some(statement) = statement.filter(|statement| !negotiations.contains(&statement.negotiation)) {
        // The log holds none of the stated negotiation: cut off entirely.
        if let Err(error) = statement.check_against(&[]) {
            reports.push(ChainReport::failed(error));
        }
    }
    for id in negotiations {
        // Checkpoints first: events are never removed, so every checkpoint read now names an event
        // the next read holds, even while others append and checkpoint.
        let checkpoints = store.checkpoints(&id).map_err(ServiceError::store)?;
        let events = store.events(&id).map_err(ServiceError::store)?;
        // The checkpoints are checked against the log only once the log itself holds.
        let verdict = parley_store::verify(&events)
            .and_then(|signed| parley_store::verify_checkpoints(&events, &checkpoints).map(|checked| (signed, checked)))
            .and_then(|counts| match statement.filter(|statement| statement.negotiation == id) {
                Some(statement) => statement.check_against(&events).map(|()| counts),
                None => Ok(counts),
            });
        reports.push(ChainReport {
            ok: verdict.is_ok(),
            events: events.len(),
            signed: verdict.as_ref().ok().map(|(signed, _)| *signed),
            checkpoints: verdict.as_ref().ok().map(|(_, checked)| *checked),
            head: verdict.is_ok().then(|| events.last().map(|event| event.hash.clone()).unwrap_or_default()),
            first_bad_event: verdict.as_ref().err().map(|error| error.seq),
            reason: verdict.err().map(|error| error.reason),
            negotiation: id,
        });
    }
    Ok(reports)
}
