//! Parties' own readouts of items in the text output of `status`: where they differ from the
//! joint text and from each other, value by value.

use std::io::Write;

use anyhow::Result;
use parley_core::document::item_label;
use parley_core::model::Negotiation;
use parley_core::status::Status;
use parley_core::visibility::Viewer;

use crate::output::{Paint, Tone};

/// Every item with a readout in force; nothing when there is none.
pub fn print_readouts(out: &mut dyn Write, negotiation: &Negotiation, status: &Status, paint: Paint) -> Result<()> {
    let items: Vec<_> = status.items.iter().filter(|item| !item.readouts.is_empty() || !item.readout_stances.is_empty()).collect();
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.paint("Competing readouts:", Tone::Strong))?;
    for item in items {
        let label = item_label(&item.document, item.number, negotiation.has_several_documents());
        writeln!(out, "  {label} {} (joint version {})", item.title, item.version)?;
        let readouts: Vec<String> = item
            .readouts
            .iter()
            .map(|readout| {
                let mut about = vec![readout.since.clone()];
                if !readout.source.is_empty() {
                    about.push(negotiation.source_label(&readout.source));
                }
                if readout.text_differs {
                    about.push("text differs".to_owned());
                }
                format!("{} ({})", readout.party, about.join("; "))
            })
            .collect();
        if !readouts.is_empty() {
            writeln!(out, "     readouts: {}", readouts.join(", "))?;
        }
        if item.discrepancies.is_empty() && !item.readouts.is_empty() {
            writeln!(out, "     every readout agrees with the joint values")?;
        }
        for discrepancy in &item.discrepancies {
            let joint = discrepancy.joint.as_ref().map_or("—".to_owned(), ToString::to_string);
            let mut readings = vec![format!("joint {joint}")];
            readings.extend(discrepancy.readings.iter().map(|reading| format!("{} {}", reading.party, reading.show())));
            writeln!(out, "     {}: {}", discrepancy.issue, paint.paint(&readings.join(" · "), Tone::Warn))?;
        }
        for stance in &item.readout_stances {
            writeln!(out, "     {} {} {}'s readout (since {})", stance.party, stance.position, stance.readout, stance.since)?;
        }
    }
    Ok(())
}

/// Whether the viewer may see the readout a stance is on (a stance on a readout the viewer may not
/// see would give that readout away). An item's own readouts are filtered from its payload
/// instead (`Channels::viewed_item`).
pub fn may_see_readouts(viewer: &Viewer, negotiation: &Negotiation, payload: &serde_json::Value) -> bool {
    let Some(owner) = payload.get("readout").and_then(serde_json::Value::as_str) else { return true };
    let number = payload.get("item").and_then(serde_json::Value::as_u64);
    let document = payload.get("document").and_then(serde_json::Value::as_str).unwrap_or_default();
    negotiation.items.iter().any(|item| {
        Some(u64::from(item.number)) == number
            && item.document == document
            && item.readouts.iter().any(|readout| readout.party == owner && viewer.may_see(negotiation, owner, readout.visibility))
    })
}
