//! Parties' own readouts of items in the text output of `status`: where they differ from the
//! joint text and from each other, value by value.

use std::io::Write;

use anyhow::Result;
use parley_core::document::item_label;
use parley_core::model::Negotiation;
use parley_core::status::Status;

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
