//! Deadlines in the text output of `status` and `diff` (`docs/status.md`, "Deadlines").

use std::io::Write;

use anyhow::Result;
use parley_core::deadline::DeadlineState;
use parley_core::diff::Diff;
use parley_core::status::Status;

use crate::output::{Paint, Table, Tone, clip};

fn state_tone(state: DeadlineState) -> Option<Tone> {
    match state {
        DeadlineState::Upcoming => Some(Tone::Strong),
        DeadlineState::Met => Some(Tone::Good),
        DeadlineState::Missed => Some(Tone::Bad),
        DeadlineState::Passed => Some(Tone::Dim),
    }
}

/// The deadlines of a status, upcoming first, then passed ones; nothing when the record has none.
pub fn print_status_deadlines(out: &mut dyn Write, status: &Status, paint: Paint) -> Result<()> {
    if status.deadlines.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.paint("Deadlines:", Tone::Strong))?;
    let mut table = Table::new(&["Deadline", "Due", "State", "Extended", "For"]);
    let upcoming = status.deadlines.iter().filter(|deadline| deadline.state == DeadlineState::Upcoming);
    let passed = status.deadlines.iter().filter(|deadline| deadline.state != DeadlineState::Upcoming);
    for deadline in upcoming.chain(passed) {
        let extended = match deadline.extensions {
            0 => String::new(),
            count => format!("{count}× (from {})", deadline.date),
        };
        let purpose = if deadline.purpose.is_empty() { &deadline.title } else { &deadline.purpose };
        table.row(vec![
            (deadline.id.clone(), None),
            (deadline.due.to_string(), None),
            (deadline.state.keyword().to_owned(), state_tone(deadline.state)),
            (extended, None),
            (clip(purpose, 60), None),
        ]);
    }
    table.write(out, paint)?;
    Ok(())
}

/// The deadlines a diff's window passed or extended; nothing when there are none.
pub fn print_diff_deadlines(out: &mut dyn Write, diff: &Diff, paint: Paint) -> Result<()> {
    let count = diff.deadlines_passed.len() + diff.deadlines_extended.len();
    if count == 0 {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.paint(&format!("Deadlines ({count}):"), Tone::Strong))?;
    for extension in &diff.deadlines_extended {
        let reason = if extension.reason.is_empty() { String::new() } else { format!(": {}", clip(&extension.reason, 60)) };
        writeln!(out, "  extended: {} from {} to {} (on {}){reason}", extension.id, extension.from, extension.to, extension.on)?;
    }
    for id in &diff.deadlines_passed {
        writeln!(out, "  passed: {id}")?;
    }
    Ok(())
}
