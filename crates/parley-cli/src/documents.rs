//! The documents of a record in the text output of `status` and `diff`.

use std::io::Write;

use anyhow::Result;
use parley_core::diff::Diff;
use parley_core::document::DocumentState;
use parley_core::model::Keyword;
use parley_core::status::Status;

use crate::output::{Paint, Table, Tone, clip};

fn state_tone(state: DocumentState) -> Option<Tone> {
    match state {
        DocumentState::Draft => Some(Tone::Dim),
        DocumentState::Agreed | DocumentState::Signed => None,
        DocumentState::InForce | DocumentState::Extended => Some(Tone::Good),
        DocumentState::Expired | DocumentState::Superseded => Some(Tone::Dim),
        DocumentState::Rejected => Some(Tone::Bad),
    }
}

/// Each document's recorded lifecycle state and whether its items are all agreed; nothing for a
/// record without documents.
pub fn print_documents(out: &mut dyn Write, status: &Status, paint: Paint) -> Result<()> {
    if status.documents.is_empty() {
        return Ok(());
    }
    let mut table = Table::new(&["Document", "Kind", "Recorded", "Since", "Items", "Title"]);
    let mut links = Vec::new();
    for document in &status.documents {
        let (recorded, tone) = match (document.state, document.until) {
            (Some(state), Some(until)) => (format!("{state} until {until}"), state_tone(state)),
            (Some(state), None) => (state.to_string(), state_tone(state)),
            (None, _) => ("—".to_owned(), Some(Tone::Dim)),
        };
        let framework = &document.framework;
        let items = if framework.accepted {
            let count = crate::output::counted(framework.items, "item", "items");
            format!("{} ({count})", paint.paint("accepted", Tone::Good))
        } else if framework.items == 0 {
            "no items yet".to_owned()
        } else {
            format!("{} of {} agreed", framework.agreed, framework.items)
        };
        table.row(vec![
            (document.id.clone(), None),
            (document.kind.keyword().to_owned(), None),
            (recorded, tone),
            (document.since.clone().unwrap_or_else(|| "—".to_owned()), None),
            (items, None),
            (clip(&document.title, 50), None),
        ]);
        if let Some(replaced) = &document.supersedes {
            links.push(format!("{} supersedes {replaced}", document.id));
        }
        if let Some(implemented) = &document.implements {
            links.push(format!("{} implements {implemented}", document.id));
        }
    }
    writeln!(out, "{}", paint.paint("Documents:", Tone::Strong))?;
    table.write(out, paint)?;
    for link in links {
        writeln!(out, "  {link}")?;
    }
    writeln!(out)?;
    Ok(())
}

/// The documents' lifecycle events and the readouts of a diff's window; nothing when there are
/// none.
pub fn print_document_changes(out: &mut dyn Write, diff: &Diff, several_documents: bool, paint: Paint) -> Result<()> {
    if !diff.document_events.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint(&format!("Document events ({}):", diff.document_events.len()), Tone::Strong))?;
        for change in &diff.document_events {
            let until = change.until.map(|until| format!(" until {until}")).unwrap_or_default();
            writeln!(out, "  {} {}{until} ({})", change.document, change.state, change.at)?;
            if !change.note.is_empty() {
                writeln!(out, "     {}", change.note)?;
            }
        }
    }
    if !diff.readouts.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint(&format!("Readouts ({}):", diff.readouts.len()), Tone::Strong))?;
        for readout in &diff.readouts {
            let item = parley_core::document::item_label(&readout.document, readout.item, several_documents);
            let differs = if readout.discrepancies.is_empty() {
                String::new()
            } else {
                format!(": readouts differ on {}", readout.discrepancies.join(", "))
            };
            writeln!(out, "  item {item} {} ({}){differs}", readout.party, readout.at)?;
        }
    }
    Ok(())
}
