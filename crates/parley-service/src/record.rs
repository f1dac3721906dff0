//! Recording a negotiation in a database, and writing one back out as a scenario.

use ed25519_dalek::SigningKey;
use parley_core::model::Negotiation;
use parley_core::visibility::{Viewer, into_view};
use parley_store::{Event, EventStore};

use crate::ServiceError;

/// What an import appended.
#[derive(Debug)]
pub struct Imported {
    /// The events appended, in order; none when the database already held the record.
    pub appended: Vec<Event>,
    /// The negotiation's last event number after the import.
    pub head: u64,
}

/// A negotiation written back as a scenario for a viewer.
#[derive(Debug)]
pub struct Exported {
    /// The event the record is as of.
    pub event: u64,
    /// The viewer it was written for.
    pub viewer: Viewer,
    /// The scenario text, with a header naming its origin; it reads back as the same record.
    pub text: String,
}

/// Records `negotiation` in `store` as the events that turn the state at its head into it, signed
/// by `signer` (a party and its key) when given.
pub fn import(
    store: &mut dyn EventStore,
    negotiation: &Negotiation,
    signer: Option<(&str, &SigningKey)>,
) -> Result<Imported, ServiceError> {
    let appended = store.import(negotiation, signer).map_err(ServiceError::store)?;
    let head = match appended.last() {
        Some(last) => last.seq,
        None => store.head(&negotiation.id).map_err(ServiceError::store)?.map_or(0, |(seq, _)| seq),
    };
    Ok(Imported { appended, head })
}

/// The negotiation `id` of `store` as of event `up_to` (its head for `None`), as the viewer named
/// by `viewer` may see it, written as scenario TOML.
pub fn export(store: &mut dyn EventStore, id: &str, up_to: Option<u64>, viewer: &str) -> Result<Exported, ServiceError> {
    let head = store.head(id).map_err(ServiceError::store)?.map_or(0, |(seq, _)| seq);
    if let Some(up_to) = up_to.filter(|&up_to| up_to == 0 || up_to > head) {
        return Err(ServiceError::BadInput(format!("--up-to {up_to}: `{id}` has events #1 to #{head}")));
    }
    let negotiation = store.negotiation(id, up_to).map_err(ServiceError::store)?;
    let viewer = crate::viewer(&negotiation, viewer)?;
    let visible = into_view(negotiation, &viewer);
    let event = up_to.unwrap_or(head);
    let mut text = format!("# `{id}` from {} as of event #{event}, viewer {viewer}.\n", store.location());
    if viewer != Viewer::Everything || event < head {
        text.push_str("# A partial record: importing it into the database it came from would record the removal of\n");
        text.push_str("# everything it leaves out (the log keeps it, but the current state would lose it).\n");
    }
    text.push('\n');
    text.push_str(&parley_core::writer::to_toml(&visible));
    // What is written must read back: a record the format cannot express is an error, not a file.
    if let Err(problems) = parley_core::scenario::parse(&text) {
        let first = problems.first().map(|problem| problem.render("the exported scenario")).unwrap_or_default();
        return Err(ServiceError::Failed(format!("`{id}` cannot be written as a scenario file that reads back: {first}")));
    }
    Ok(Exported { event, viewer, text })
}
