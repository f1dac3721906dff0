//! Writes without whole-record passes: a stance checked in its context and turned into its event
//! directly, in time that grows with the change rather than with the record.
//!
//! The slow path in [`crate::writes`] writes the whole record out, reads it back with the
//! scenario reader (on the writer's view, then on the whole record) and diffs whole records into
//! events. For a stance that certainly reads back unchanged, that work has one answer known in
//! advance: no problems, and the one upsert [`parley_store::event::stance_added`] builds (here from
//! the stances like it, [`crate::likes`]). This module decides "certainly" narrowly and answers
//! `None` for anything else, which the caller hands to the slow path: it never guesses a
//! diagnostic.

use std::collections::HashMap;

use parley_core::model::{Moment, Negotiation, Stance, Visibility};
use parley_core::timeline::{Instant, Timeline};
use parley_core::visibility::Viewer;
use parley_store::{KeyStatus, NewEvent, Store};

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::likes::Likes;

/// Which parties registered no signing key, each looked up once at one chain head: keys are
/// registered and revoked by events, so an answer holds while no other event is appended (a group
/// of plain stances, [`crate::batch`], leaves it as it was).
#[derive(Debug, Default)]
pub struct Unsigned(HashMap<String, bool>);

impl Unsigned {
    /// Whether `party` of negotiation `id` has no key, its events needing no signature.
    fn party(&mut self, store: &mut dyn Store, id: &str, party: &str) -> Result<bool, ApiError> {
        if let Some(&known) = self.0.get(party) {
            return Ok(known);
        }
        let unsigned = store.key_status(id, party).map_err(ApiError::store)? == KeyStatus::None;
        self.0.insert(party.to_owned(), unsigned);
        Ok(unsigned)
    }
}

/// The event recording `stance` in `current` (the record at the chain head, which reads back as
/// it is), when the stance certainly passes every check the slow path makes; `None` to take the
/// slow path. `unsigned` holds the key lookups made at that head.
pub fn stance(
    store: &mut dyn Store,
    likes: &Likes,
    id: &str,
    current: &std::sync::Arc<Negotiation>,
    caller: &Caller,
    stance: &Stance,
    unsigned: &mut Unsigned,
) -> Result<Option<NewEvent>, ApiError> {
    if !plainly_valid(current, stance) {
        return Ok(None);
    }
    let viewer = match caller.role() {
        Role::Admin => Viewer::Everything,
        // The slow path forbids another party's stance, after the reader's checks.
        Role::Party(party) if party == stance.party => parley_service::viewer(current, caller.viewer()).map_err(ApiError::service)?,
        _ => return Ok(None),
    };
    if viewer != Viewer::Everything && !seen_by(current, &viewer, stance) {
        return Ok(None);
    }
    // A party with a key signs its events: an unsigned write of its stance is refused there.
    if !unsigned.party(store, id, &stance.party)? {
        return Ok(None);
    }
    Ok(Some(likes.stance_added(id, current, stance)))
}

/// Whether the scenario reader reads `stance`, appended to `current`, back exactly as it is with
/// no error: only the plain shape (one item of a record without documents, on a dated round or a
/// date, of a party, no version, readout or bloc) is decided here.
fn plainly_valid(current: &Negotiation, stance: &Stance) -> bool {
    let plain = current.documents.is_empty()
        && stance.document.is_empty()
        && stance.version.is_none()
        && stance.readout.is_empty()
        && stance.bloc.is_none()
        && stance.visibility != Visibility::Bloc
        && current.party(&stance.party).is_some();
    if !plain {
        return false;
    }
    let Some(item) = current.items.iter().find(|item| item.document.is_empty() && item.number == stance.item) else {
        return false;
    };
    let timeline = Timeline::new(&current.rounds);
    let at = match &stance.at {
        Moment::Round(round) => match (current.round(round), timeline.round(round)) {
            (Some(found), Some(instant)) if !found.planned => instant,
            _ => return false,
        },
        Moment::Date(date) => Instant::end_of(*date),
        // Read back as a stance with no moment: the slow path reports it.
        Moment::Start => return false,
    };
    at >= timeline.moment(&item.introduced)
}

/// Whether what `stance` refers to is in `viewer`'s view (its round and its item).
fn seen_by(current: &Negotiation, viewer: &Viewer, stance: &Stance) -> bool {
    let channels = parley_core::channels::Channels::new(current, viewer);
    let Some(item) = current.items.iter().find(|item| item.document.is_empty() && item.number == stance.item) else {
        return false;
    };
    !channels.in_hidden_round(&stance.at) && channels.viewed_item(item.clone()).is_some()
}
