//! Phases in the text output of `status` and `diff` (`docs/status.md`, "Phases"): the phases,
//! the values that change from phase to phase, and each red line's verdict per phase. A record
//! without phases prints nothing here.

use std::io::Write;

use anyhow::Result;
use parley_core::model::{Negotiation, Value};
use parley_core::phase::{PhaseValue, Schedule, describe};
use parley_core::status::Status;

use crate::output::{Paint, Tone};

/// An item's proposed values in words, each scheduled one as `tariff = 10 until 2030, then 0`.
pub fn proposed_values(negotiation: &Negotiation, proposes: &[(String, Value)], schedules: &[Schedule]) -> Vec<String> {
    proposes.iter().map(|(issue, value)| format!("{issue} = {}", scheduled(negotiation, value, schedule_of(schedules, issue)))).collect()
}

/// A value and its later phases' values in words (the value alone without a schedule).
pub fn scheduled(negotiation: &Negotiation, first: &Value, changes: &[PhaseValue]) -> String {
    describe(&negotiation.phases, first, changes)
}

/// As [`scheduled`], in brackets when there is a schedule, to stand beside an arrow.
pub fn bracketed(negotiation: &Negotiation, first: &Value, changes: &[PhaseValue]) -> String {
    let words = scheduled(negotiation, first, changes);
    if changes.is_empty() { words } else { format!("({words})") }
}

fn schedule_of<'s>(schedules: &'s [Schedule], issue: &str) -> &'s [PhaseValue] {
    schedules.iter().find(|schedule| schedule.issue == issue).map_or(&[], |schedule| schedule.changes.as_slice())
}

/// The phases, the values proposed per phase and the red lines' verdicts per phase.
pub fn print_status_phases(out: &mut dyn Write, negotiation: &Negotiation, status: &Status, paint: Paint) -> Result<()> {
    if negotiation.phases.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.paint("Phases:", Tone::Strong))?;
    for phase in &negotiation.phases {
        let name = if phase.name.is_empty() { String::new() } else { format!(" — {}", phase.name) };
        writeln!(out, "  {}{name}: from {}", phase.id, phase.starts)?;
    }
    let scheduled_values: Vec<_> = status.proposed.iter().filter(|value| !value.schedule.is_empty()).collect();
    if !scheduled_values.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint("Values by phase:", Tone::Strong))?;
        for value in scheduled_values {
            let item = parley_core::document::item_label(&value.document, value.item, negotiation.has_several_documents());
            writeln!(out, "  {}: {} (item {item})", value.issue, scheduled(negotiation, &value.value, &value.schedule))?;
        }
    }
    // The red lines whose verdict differs from phase to phase, or that are about some phases only.
    let judged: Vec<_> = status
        .red_lines
        .iter()
        .filter(|check| {
            check.phases.len() < negotiation.phases.len() || check.phases.iter().any(|verdict| verdict.holds != check.phases[0].holds)
        })
        .collect();
    if !judged.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint("Red lines by phase:", Tone::Strong))?;
        for check in judged {
            let verdicts: Vec<String> = check
                .phases
                .iter()
                .map(|verdict| {
                    let word = match verdict.holds {
                        Some(true) => "holds",
                        Some(false) => "VIOLATED",
                        None => "not yet decided",
                    };
                    format!("{} {word}", verdict.phase)
                })
                .collect();
            writeln!(out, "  {} ({}): {}", check.id, check.party, verdicts.join("; "))?;
        }
    }
    Ok(())
}
