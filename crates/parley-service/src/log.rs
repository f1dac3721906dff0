//! The event log as a viewer may see it (`parley log --viewer`): the events it may see, each
//! with its payload as the viewer's export holds it.

use std::collections::{HashMap, HashSet};

use parley_core::channels::Channels;
use parley_core::model::Negotiation;
use parley_core::visibility::Viewer;
use parley_store::event::{Folder, Op, Payload};
use parley_store::{Event, EventStore, StoreError};

use crate::ServiceError;

/// A log's viewer with what decides its rights: the parties, blocs, rounds, items and red lines
/// of the log (folded from just those events, not the whole history).
#[derive(Debug)]
pub struct LogView {
    negotiation: Negotiation,
    viewer: Viewer,
    /// The items the viewer's view keeps (by document and number): a stance or a deadline on any
    /// other is not the viewer's to see.
    shown_items: HashSet<(String, u32)>,
}

/// An event as a viewer who may not see everything is shown it.
///
/// Such a viewer is told nothing of the events it may not see: not their actor, kind, key, time
/// or position. So those events are left out, and so are every event's number and chain fields,
/// which count and cover them (a hash would let anyone confirm a guess of a hidden stance, whose
/// possible values are few).
#[derive(Debug, serde::Serialize)]
pub struct ViewedEvent<'e> {
    /// The negotiation's id.
    pub negotiation: &'e str,
    /// The event kind (`stance`, `item`, ...).
    pub kind: &'e str,
    /// The entity's key.
    pub key: &'e str,
    /// Upsert or delete.
    pub op: Op,
    /// Who recorded it.
    pub actor: &'e str,
    /// When, UTC.
    pub recorded_at: &'e str,
    /// The entity as the viewer's export holds it.
    pub payload: serde_json::Value,
}

impl LogView {
    /// The viewer named by `viewer` over the log `events` of negotiation `id`, read from `store`.
    pub fn of(store: &mut dyn EventStore, id: &str, events: &[Event], viewer: &str) -> Result<LogView, ServiceError> {
        let fold_failed = |source| ServiceError::store(StoreError::Fold { negotiation: id.to_owned(), source });
        // The viewer's rights depend only on who the parties are, which are mediators, the
        // blocs, which rounds it may know of and the items' readouts (a stance on a readout is
        // seen only with it): fold just those events rather than the whole history.
        let mut roles = Folder::new();
        // Red lines too: a statement's claims about a red line the viewer may not see are left out.
        for event in
            events.iter().filter(|event| matches!(event.kind.as_str(), "negotiation" | "party" | "bloc" | "round" | "item" | "red-line"))
        {
            roles.apply(event.seq, &event.kind, &event.key, event.op, Payload::Json(&event.payload)).map_err(fold_failed)?;
        }
        let negotiation = roles.finish().map_err(fold_failed)?.ok_or_else(|| ServiceError::store(store.unknown(id)))?;
        let viewer = crate::viewer(&negotiation, viewer)?;
        let shown_items =
            parley_core::visibility::view(&negotiation, &viewer).items.into_iter().map(|item| (item.document, item.number)).collect();
        Ok(LogView { negotiation, viewer, shown_items })
    }

    /// The viewer.
    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// The events the viewer may see, of the kind asked for (all kinds for `None`), in log order.
    pub fn visible<'e>(&self, events: &'e [Event], kind: Option<&str>) -> Vec<&'e Event> {
        let wanted = |event: &&Event| kind.is_none_or(|kind| kind == event.kind);
        if self.viewer == Viewer::Everything {
            return events.iter().filter(wanted).collect();
        }
        let channels = Channels::new(&self.negotiation, &self.viewer);
        // A deletion carries no payload: it is judged by the entity it deletes, as last upserted.
        let mut last_upsert: HashMap<(&str, &str), usize> = HashMap::new();
        let mut visible = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let judged = match event.op {
                Op::Upsert => {
                    last_upsert.insert((event.kind.as_str(), event.key.as_str()), index);
                    event
                }
                Op::Delete => last_upsert.get(&(event.kind.as_str(), event.key.as_str())).map_or(event, |&upsert| &events[upsert]),
            };
            visible.push(may_see(&self.viewer, &self.negotiation, &channels, &self.shown_items, judged));
        }
        events.iter().zip(visible).filter(|(event, visible)| *visible && wanted(event)).map(|(event, _)| event).collect()
    }

    /// The events `visible` returned, as the viewer is shown them: without number and chain
    /// fields, each payload as the viewer's export holds it.
    pub fn redacted<'e>(&self, visible: &[&'e Event]) -> Vec<ViewedEvent<'e>> {
        let channels = Channels::new(&self.negotiation, &self.viewer);
        visible
            .iter()
            .map(|event| ViewedEvent {
                negotiation: &event.negotiation,
                kind: &event.kind,
                key: &event.key,
                op: event.op,
                actor: &event.actor,
                recorded_at: &event.recorded_at,
                payload: viewed_payload(&self.negotiation, &self.viewer, &channels, &self.shown_items, event)
                    .unwrap_or_else(|| event.payload.clone()),
            })
            .collect()
    }
}

/// An entity as the viewer's export holds it, where that differs from what was stored: a statement
/// without its claims about what the viewer may not see (by the same view that makes the export),
/// an item without its revisions and readouts of hidden rounds, a deadline no longer tied to a
/// hidden item. `None`: the payload as stored.
fn viewed_payload(
    negotiation: &Negotiation,
    viewer: &Viewer,
    channels: &Channels<'_>,
    shown_items: &HashSet<(String, u32)>,
    event: &Event,
) -> Option<serde_json::Value> {
    if event.op != Op::Upsert {
        return None;
    }
    match event.kind.as_str() {
        "statement" => {
            let statement: parley_core::model::Statement = serde_json::from_value(event.payload.clone()).ok()?;
            let mut alone = negotiation.clone();
            alone.statements = vec![statement];
            let viewed = parley_core::visibility::into_view(alone, viewer);
            viewed.statements.first().and_then(|statement| serde_json::to_value(statement).ok())
        }
        "item" => {
            let item: parley_core::model::Item = serde_json::from_value(event.payload.clone()).ok()?;
            channels.viewed_item(item).and_then(|item| serde_json::to_value(item).ok())
        }
        "deadline" => {
            let mut deadline: parley_core::deadline::Deadline = serde_json::from_value(event.payload.clone()).ok()?;
            // As the view does: a deadline tied to a hidden item stays, tied to no item.
            let hidden = negotiation.items.iter().any(|item| {
                deadline.names_item(&item.document, item.number) && !shown_items.contains(&(item.document.clone(), item.number))
            });
            if hidden {
                deadline.untie();
            }
            serde_json::to_value(deadline).ok()
        }
        _ => None,
    }
}

/// Whether the viewer may see an event's content: entities with a visibility setting are shown
/// only as that setting allows their owner's, readouts as theirs allow, and nothing that happened
/// in a round the viewer may not know of (`docs/status.md`, "Secret channels"); everything else is
/// public record.
fn may_see(
    viewer: &Viewer,
    negotiation: &Negotiation,
    channels: &Channels<'_>,
    shown_items: &HashSet<(String, u32)>,
    event: &Event,
) -> bool {
    use parley_core::model::{Item, RedLine, Round, Stance, Statement, Visibility};
    fn decode<T: serde::de::DeserializeOwned>(payload: &serde_json::Value) -> Option<T> {
        T::deserialize(payload).ok()
    }
    if *viewer == Viewer::Everything {
        return true;
    }
    if !may_see_readouts(viewer, negotiation, &event.payload) {
        return false;
    }
    if !matches!(
        event.kind.as_str(),
        "stance" | "red-line" | "preference" | "demand" | "round" | "item" | "statement" | "document" | "assessment"
    ) {
        return true;
    }
    // A deletion without an upsert before it: its key alone may name a hidden entity.
    if event.op == Op::Delete {
        return !matches!(event.kind.as_str(), "stance" | "red-line" | "preference" | "demand");
    }
    let payload = &event.payload;
    match event.kind.as_str() {
        "round" => decode::<Round>(payload).is_some_and(|round| channels.round(&round)),
        "item" => decode::<Item>(payload).is_some_and(|item| channels.viewed_item(item).is_some()),
        "statement" => decode::<Statement>(payload).is_some_and(|statement| channels.statement(&statement)),
        "stance" => decode::<Stance>(payload).is_some_and(|stance| {
            channels.owned(&stance.party, stance.visibility, stance.bloc.as_deref())
                && !channels.in_hidden_round(&stance.at)
                && shown_items.contains(&(stance.document.clone(), stance.item))
        }),
        "demand" => decode::<parley_core::model::Demand>(payload).is_some_and(|demand| {
            channels.owned(&demand.party, demand.visibility, demand.bloc.as_deref()) && !channels.in_hidden_round(&demand.at)
        }),
        // Stored whole with their dated parts: shown only when nothing in them is in a hidden round.
        "document" => decode::<parley_core::document::Document>(payload)
            .is_some_and(|document| !document.events.iter().any(|event| channels.in_hidden_round(&event.at))),
        "assessment" => {
            decode::<parley_core::model::Assessment>(payload).is_some_and(|assessment| !channels.in_hidden_round(&assessment.at))
        }
        "red-line" => decode::<RedLine>(payload).is_some_and(|red_line| {
            channels.owned(&red_line.party, red_line.visibility, red_line.bloc.as_deref())
                && !channels.in_hidden_round(&red_line.since)
                && !red_line.until.as_ref().is_some_and(|until| channels.in_hidden_round(until))
        }),
        _ => {
            let owner = payload.get("party").and_then(|party| party.as_str()).unwrap_or(&event.actor);
            let bloc = payload.get("bloc").and_then(|bloc| bloc.as_str());
            payload
                .get("visibility")
                .and_then(|value| <Visibility as serde::Deserialize>::deserialize(value).ok())
                .is_some_and(|visibility| channels.owned(owner, visibility, bloc))
        }
    }
}

/// Whether the viewer may see the readout a stance is on (a stance on a readout the viewer may not
/// see would give that readout away). An item's own readouts are filtered from its payload
/// instead (`Channels::viewed_item`).
fn may_see_readouts(viewer: &Viewer, negotiation: &Negotiation, payload: &serde_json::Value) -> bool {
    let Some(owner) = payload.get("readout").and_then(serde_json::Value::as_str) else { return true };
    let number = payload.get("item").and_then(serde_json::Value::as_u64);
    let document = payload.get("document").and_then(serde_json::Value::as_str).unwrap_or_default();
    negotiation.items.iter().any(|item| {
        Some(u64::from(item.number)) == number
            && item.document == document
            && item.readouts.iter().any(|readout| readout.party == owner && viewer.may_see(negotiation, owner, readout.visibility))
    })
}
