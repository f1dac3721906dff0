//! The hindsight part of `claims`' text output: each claim's verdict against the final record.

use std::io::Write;

use anyhow::Result;
use parley_core::claims::{ClaimCheck, Verdict};

use crate::output::{Paint, Tone};

/// The verdict as printed, with its colour.
pub fn verdict_word(verdict: Verdict) -> (&'static str, Tone) {
    match verdict {
        Verdict::Consistent => ("CONSISTENT", Tone::Good),
        Verdict::Contradicted => ("CONTRADICTED", Tone::Bad),
        Verdict::Unverifiable => ("UNVERIFIABLE", Tone::Warn),
    }
}

/// `hindsight: VERDICT — finding` when the final record gives another verdict, else `same in
/// hindsight`; with `full`, the finding and evidence always.
pub fn print_hindsight(out: &mut dyn Write, claim: &ClaimCheck, paint: Paint, full: bool) -> Result<()> {
    let hindsight = &claim.hindsight;
    if hindsight.verdict == claim.verdict && !full {
        writeln!(out, "               same in hindsight")?;
        return Ok(());
    }
    let (word, tone) = verdict_word(hindsight.verdict);
    let same = if hindsight.verdict == claim.verdict { " (same in hindsight)" } else { "" };
    writeln!(out, "               hindsight: {} — {}{same}", paint.paint(word, tone), hindsight.finding)?;
    if full {
        for evidence in &hindsight.evidence {
            writeln!(out, "                 - {}", evidence.fact)?;
        }
    }
    Ok(())
}
