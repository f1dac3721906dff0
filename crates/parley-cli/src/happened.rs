//! The "What happened" part of `diff`'s text output: the window's timeline, one line per event
//! (`docs/status.md`, "Diff").

use std::io::Write;

use anyhow::Result;
use parley_core::diff::{Diff, TimelineEvent};
use parley_core::document::item_label;
use parley_core::status::ItemState;

use crate::output::{Paint, Tone};

/// Every event of the window in time order, after the net changes; nothing when none happened.
pub fn print_timeline(out: &mut dyn Write, diff: &Diff, several: bool, paint: Paint) -> Result<()> {
    if diff.timeline.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.paint(&format!("What happened ({}):", diff.timeline.len()), Tone::Strong))?;
    let width = diff.timeline.iter().map(|entry| entry.at.chars().count()).max().unwrap_or(0);
    for entry in &diff.timeline {
        writeln!(out, "  {:<width$}  {}", entry.at, describe(&entry.event, several, paint))?;
    }
    Ok(())
}

/// One event in words.
fn describe(event: &TimelineEvent, several: bool, paint: Paint) -> String {
    let item = |document: &str, number: u32| format!("item {}", item_label(document, number, several));
    match event {
        TimelineEvent::Round { round, title } if title.is_empty() => format!("round {round} held"),
        TimelineEvent::Round { round, title } => format!("round {round} held: {title}"),
        TimelineEvent::Introduced { item: number, title, document } => format!("{} introduced: {title}", item(document, *number)),
        TimelineEvent::Revision { item: number, version, by, document } => {
            let by = by.as_deref().map(|by| format!(" by {by}")).unwrap_or_default();
            format!("{} revised → version {version}{by}", item(document, *number))
        }
        TimelineEvent::Stance { item: number, party, before, after, via, document } => {
            let before = before.map_or("—".to_owned(), |position| position.to_string());
            let via = via.as_deref().map(|bloc| format!(" (via {bloc})")).unwrap_or_default();
            let restated = if before == after.to_string() { " (restated on the new version)" } else { "" };
            format!("{} {party}: {before} → {after}{via}{restated}", item(document, *number))
        }
        TimelineEvent::State { item: number, before, after, document } => {
            let before = before.map_or("—", ItemState::keyword);
            format!("{} state: {before} → {}", item(document, *number), paint.paint(after.keyword(), crate::output::state_tone(*after)))
        }
        TimelineEvent::RedLineDrawn { red_line, party } => format!("red line {red_line} drawn by {party}"),
        TimelineEvent::RedLineDropped { red_line, party, ending, reason, replaced_by } => {
            let how = match ending {
                parley_core::model::Ending::Lapsed => "dropped",
                parley_core::model::Ending::Conceded => "conceded",
                parley_core::model::Ending::Reinterpreted => "reinterpreted",
                parley_core::model::Ending::Withdrawn => "withdrawn",
            };
            let mut text = format!("red line {red_line} {how} by {party}");
            if let Some(replacement) = replaced_by {
                text.push_str(&format!(" (now {replacement})"));
            }
            if !reason.is_empty() {
                text.push_str(&format!(": {reason}"));
            }
            text
        }
        TimelineEvent::Statement { statement, speaker, party } => {
            format!("statement {statement} by {speaker} ({})", party.as_deref().unwrap_or("—"))
        }
        TimelineEvent::Document { document, state } => format!("document {document} {state}"),
        TimelineEvent::Readout { item: number, party, document } => format!("{} readout by {party}", item(document, *number)),
        TimelineEvent::DeadlineExtended { deadline, from, to } => format!("deadline {deadline} extended: {from} → {to}"),
        TimelineEvent::DeadlinePassed { deadline } => format!("deadline {deadline} due date passed"),
    }
}
