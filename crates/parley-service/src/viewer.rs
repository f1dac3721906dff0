//! Who is looking, and as of when.

use parley_core::model::Negotiation;
use parley_core::status::Record;
use parley_core::timeline::{Point, Timeline};
use parley_core::visibility::Viewer;

use crate::ServiceError;

/// Resolves a viewer named by `text`: `all` (or `everything`), `public`, `mediator`, or a party
/// of the negotiation. A bloc is not a viewer (its members are); an unknown name is bad input
/// listing the parties.
pub fn viewer(negotiation: &Negotiation, text: &str) -> Result<Viewer, ServiceError> {
    // The one party a viewer keyword may name: a mediator called `mediator` (the reader refuses
    // any other), which then is the mediator `--viewer mediator` asks for.
    if text == "mediator" && negotiation.party(text).is_some() {
        return Ok(Viewer::Party(text.to_owned()));
    }
    let viewer: Viewer = text.parse().unwrap_or_default();
    if let Viewer::Party(party) = &viewer {
        if negotiation.party(party).is_none() {
            let ids: Vec<&str> = negotiation.parties.iter().map(|party| party.id.as_str()).collect();
            let message = format!("unknown viewer `{party}` (expected all, public, mediator or a party: {})", ids.join(", "));
            return Err(ServiceError::BadInput(message));
        }
    }
    Ok(viewer)
}

/// Resolves a point given as the argument `argument` (`--as-of`, `FROM`, `TO`), naming the
/// argument when it is wrong.
pub fn point(record: &Record<'_>, argument: &str, text: &str) -> Result<Point, ServiceError> {
    record.point(text).map_err(|error| ServiceError::BadInput(format!("{argument}: {error}")))
}

/// A `--as-of` point where no `Record` is needed otherwise: the rounds' timeline is enough (a
/// Record also indexes every stance).
pub fn as_of(negotiation: &Negotiation, text: &str) -> Result<Point, ServiceError> {
    Timeline::new(&negotiation.rounds).point(negotiation, text).map_err(|error| ServiceError::BadInput(format!("--as-of: {error}")))
}

/// [`as_of`] as `viewer` may name points: only by the rounds of its view, so that a hidden round
/// is refused as one that does not exist, and the error lists no hidden round.
pub fn as_of_for(negotiation: &Negotiation, viewer: &Viewer, text: &str) -> Result<Point, ServiceError> {
    if *viewer == Viewer::Everything {
        return as_of(negotiation, text);
    }
    as_of(&parley_core::visibility::view(negotiation, viewer), text)
}
