//! The parties' positions over time as SVG: one panel per ordered issue with demands, time across
//! (dated demands at their day; demands from the start at the left edge), the issue's values up, one
//! step line per party (a range demand as a band), and the gap between the parties beside the title.

use std::fmt::Write as _;

use parley_core::date::Date;
use parley_core::positions::{IssuePositions, Positions};

use crate::xml::escape;

const WIDTH: f64 = 760.0;
const PANEL: f64 = 190.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 200.0;
const COLOURS: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/// The SVG of every ordered issue's trajectories (an issue without order is listed by name only).
/// `labels` turns a position back into a value's text (the option of an ordered choice).
pub fn svg(positions: &Positions, labels: &dyn Fn(&str, f64) -> String) -> String {
    let drawn: Vec<&IssuePositions> = positions.issues.iter().filter(|issue| issue.ordered).collect();
    let unordered: Vec<&IssuePositions> = positions.issues.iter().filter(|issue| !issue.ordered).collect();
    let height = 50.0 + PANEL * drawn.len().max(1) as f64 + 18.0 * unordered.len() as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="22" font-size="14">{} — positions as of {}</text>"#,
        escape(&positions.negotiation),
        escape(&positions.as_of.label)
    );
    // One time axis for every panel.
    let dates: Vec<Date> =
        drawn.iter().flat_map(|issue| issue.parties.iter().flat_map(|party| party.steps.iter().filter_map(|step| step.date))).collect();
    let first = dates.iter().min().map(|date| date.days_since_epoch());
    let last = dates.iter().max().map(|date| date.days_since_epoch());
    // A margin after the last demand, so that it shows as a step rather than a point at the edge.
    let span = match (first, last) {
        (Some(first), Some(last)) => Some((first - 1, last + 1 + ((last - first) / 8).max(1))),
        _ => None,
    };
    let x_of = |date: Option<Date>| -> f64 {
        match (date, span) {
            (Some(date), Some((from, to))) => {
                LEFT + (date.days_since_epoch() - from) as f64 / (to - from).max(1) as f64 * (WIDTH - LEFT - RIGHT)
            }
            _ => LEFT,
        }
    };
    if drawn.is_empty() {
        let _ = writeln!(out, r#"<text x="{LEFT}" y="60">no ordered issue has demands</text>"#);
    }
    for (panel, issue) in drawn.iter().enumerate() {
        let top = 40.0 + PANEL * panel as f64;
        let plot_top = top + 24.0;
        let plot_bottom = top + PANEL - 30.0;
        let ranks: Vec<f64> =
            issue.parties.iter().flat_map(|party| party.steps.iter().flat_map(|step| [step.low, step.high])).flatten().collect();
        let low = ranks.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ranks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (low, high) = if high > low { (low, high) } else { (low - 1.0, high + 1.0) };
        let pad = (high - low) * 0.1;
        let (low, high) = (low - pad, high + pad);
        let y_of = |rank: f64| plot_bottom - (rank - low) / (high - low) * (plot_bottom - plot_top);
        let gap = match (issue.gaps.last(), issue.converging) {
            (Some(gap), Some(true)) => format!(" — gap {} (converging)", number(gap.gap)),
            (Some(gap), Some(false)) => format!(" — gap {} (not converging)", number(gap.gap)),
            (Some(gap), None) => format!(" — gap {}", number(gap.gap)),
            (None, _) => String::new(),
        };
        let unit = if issue.unit.is_empty() { String::new() } else { format!(" ({})", issue.unit) };
        let _ = writeln!(
            out,
            r#"<text x="{LEFT}" y="{}" font-weight="bold">{}{}{}</text>"#,
            top + 14.0,
            escape(&issue.name),
            escape(&unit),
            escape(&gap)
        );
        let _ = writeln!(
            out,
            r##"<rect x="{LEFT}" y="{plot_top}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            WIDTH - LEFT - RIGHT,
            plot_bottom - plot_top
        );
        let ticks: Vec<f64> = if issue.unit.is_empty() && (high - low - 2.0 * pad) <= 12.0 {
            // Ordered options: every position between the extremes.
            let (from, to) = ((low + pad).round() as i64, (high - pad).round() as i64);
            (from..=to).map(|rank| rank as f64).collect()
        } else {
            vec![low + pad, (low + high) / 2.0, high - pad]
        };
        for tick in ticks {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                y_of(tick) + 4.0,
                escape(&labels(&issue.issue, tick))
            );
        }
        for (index, party) in issue.parties.iter().enumerate() {
            let colour = COLOURS[index % COLOURS.len()];
            let mut lows = String::new();
            let mut highs = String::new();
            for (position, step) in party.steps.iter().enumerate() {
                let (Some(step_low), Some(step_high)) = (step.low, step.high) else { continue };
                let start = x_of(step.date);
                let end = party.steps.get(position + 1).map_or(WIDTH - RIGHT, |next| x_of(next.date));
                let _ = write!(lows, "{start:.1},{:.1} {end:.1},{:.1} ", y_of(step_low), y_of(step_low));
                let _ = write!(highs, "{start:.1},{:.1} {end:.1},{:.1} ", y_of(step_high), y_of(step_high));
                let _ = writeln!(
                    out,
                    r#"<circle cx="{start:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{}: {} ({})</title></circle>"#,
                    y_of(step_low),
                    escape(&party.party),
                    escape(&step.demand),
                    escape(&step.at)
                );
            }
            let _ = writeln!(out, r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#, lows.trim_end());
            if highs != lows {
                let _ = writeln!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="4 3"/>"#,
                    highs.trim_end()
                );
            }
            let mut last = party.steps.last().map_or(String::new(), |step| step.demand.clone());
            if last.chars().count() > 24 {
                last = last.chars().take(23).chain(['…']).collect();
            }
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" fill="{colour}">{}: {}</text>"#,
                WIDTH - RIGHT + 8.0,
                plot_top + 12.0 + 14.0 * index as f64,
                escape(&party.party),
                escape(&last)
            );
        }
        if let Some((from, to)) = span {
            for day in [from + 1, last.unwrap_or(to - 1)] {
                let date = Date::from_days_since_epoch(day);
                let _ = writeln!(out, r#"<text x="{:.1}" y="{}" text-anchor="middle">{date}</text>"#, x_of(Some(date)), plot_bottom + 16.0);
            }
        }
    }
    let mut y = 40.0 + PANEL * drawn.len().max(1) as f64;
    for issue in unordered {
        let parties: Vec<String> = issue
            .parties
            .iter()
            .map(|party| format!("{}: {}", party.party, party.steps.last().map_or("", |step| step.demand.as_str())))
            .collect();
        let _ = writeln!(out, r#"<text x="{LEFT}" y="{y}">{} — {}</text>"#, escape(&issue.name), escape(&parties.join("; ")));
        y += 18.0;
    }
    out.push_str("</svg>\n");
    out
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value:.3}") }
}
