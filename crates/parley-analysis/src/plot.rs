//! The utility space as an SVG picture: a sample of outcomes, the Pareto frontier, the bargaining
//! solutions, the reservation values and the proposal. With more than two parties, one panel per
//! pair of parties.

use std::fmt::Write;

use crate::frontier::{Frontier, Point};
use crate::solutions::Solutions;
use crate::space::Problem;

/// What to draw besides the frontier.
#[derive(Clone, Debug, Default)]
pub struct PlotInput<'a> {
    pub title: &'a str,
    /// Utility vectors of sampled outcomes (drawn faintly).
    pub sample: &'a [Vec<f64>],
    pub proposal: Option<&'a [f64]>,
}

const PANEL: f64 = 420.0;
const MARGIN: f64 = 56.0;

/// Draws the plot; `names` are the parties in utility order.
pub fn svg(problem: &Problem, frontier: &Frontier, solutions: &Solutions, input: &PlotInput<'_>) -> String {
    let parties = problem.parties.len();
    let pairs: Vec<(usize, usize)> = (0..parties).flat_map(|a| (a + 1..parties).map(move |b| (a, b))).collect();
    let columns = (pairs.len() as f64).sqrt().ceil().max(1.0) as usize;
    let rows = pairs.len().div_ceil(columns).max(1);
    let width = (columns as f64 * (PANEL + MARGIN) + MARGIN).max(600.0);
    let height = rows as f64 * (PANEL + MARGIN) + MARGIN + 76.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(out, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(out, r##"<text x="{MARGIN}" y="24" font-size="16" font-weight="bold">{}</text>"##, escape(input.title));
    let legend = [
        "grey: outcomes (a sample) · blue: Pareto frontier · dashed red: reservation values",
        "N Nash · K Kalai–Smorodinsky · E egalitarian · U utilitarian · P the current proposal",
    ];
    for (line, text) in legend.iter().enumerate() {
        let _ = writeln!(out, r##"<text x="{MARGIN}" y="{}" fill="#444">{text}</text>"##, 42 + 16 * line);
    }
    for (index, &(a, b)) in pairs.iter().enumerate() {
        let x0 = MARGIN + (index % columns) as f64 * (PANEL + MARGIN);
        let y0 = 76.0 + MARGIN / 2.0 + (index / columns) as f64 * (PANEL + MARGIN);
        panel(&mut out, problem, frontier, solutions, input, (a, b), (x0, y0));
    }
    out.push_str("</svg>\n");
    out
}

fn panel(
    out: &mut String,
    problem: &Problem,
    frontier: &Frontier,
    solutions: &Solutions,
    input: &PlotInput<'_>,
    (a, b): (usize, usize),
    (x0, y0): (f64, f64),
) {
    // Axis ranges cover everything drawn.
    let mut xs: Vec<f64> = frontier.points.iter().map(|point| point.utilities[a]).collect();
    let mut ys: Vec<f64> = frontier.points.iter().map(|point| point.utilities[b]).collect();
    xs.extend(input.sample.iter().map(|u| u[a]));
    ys.extend(input.sample.iter().map(|u| u[b]));
    xs.push(problem.parties[a].reservation);
    ys.push(problem.parties[b].reservation);
    if let Some(proposal) = input.proposal {
        xs.push(proposal[a]);
        ys.push(proposal[b]);
    }
    let range = |values: &[f64]| {
        let low = values.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max).max(low + 1e-9);
        (low, high)
    };
    let ((x_low, x_high), (y_low, y_high)) = (range(&xs), range(&ys));
    let x = |value: f64| x0 + (value - x_low) / (x_high - x_low) * PANEL;
    let y = |value: f64| y0 + PANEL - (value - y_low) / (y_high - y_low) * PANEL;

    let _ = writeln!(out, r##"<rect x="{x0:.1}" y="{y0:.1}" width="{PANEL}" height="{PANEL}" fill="none" stroke="#999"/>"##);
    for tick in 0..=4 {
        let fraction = f64::from(tick) / 4.0;
        let (vx, vy) = (x_low + fraction * (x_high - x_low), y_low + fraction * (y_high - y_low));
        let _ = writeln!(out, r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#555">{vx:.2}</text>"##, x(vx), y0 + PANEL + 16.0);
        let _ = writeln!(out, r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{vy:.2}</text>"##, x0 - 6.0, y(vy) + 4.0);
    }
    let name = |party: usize| escape(&problem.parties[party].name);
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">utility of {}</text>"##,
        x0 + PANEL / 2.0,
        y0 + PANEL + 34.0,
        name(a)
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" transform="rotate(-90 {:.1} {:.1})">utility of {}</text>"##,
        x0 - 40.0,
        y0 + PANEL / 2.0,
        x0 - 40.0,
        y0 + PANEL / 2.0,
        name(b)
    );
    for u in input.sample {
        let _ = writeln!(out, r##"<circle cx="{:.1}" cy="{:.1}" r="1.5" fill="#ccc"/>"##, x(u[a]), y(u[b]));
    }
    // Reservation lines.
    let (ra, rb) = (problem.parties[a].reservation, problem.parties[b].reservation);
    let _ = writeln!(
        out,
        r##"<line x1="{:.1}" y1="{y0:.1}" x2="{:.1}" y2="{:.1}" stroke="#c33" stroke-dasharray="5,4"/>"##,
        x(ra),
        x(ra),
        y0 + PANEL
    );
    let _ = writeln!(
        out,
        r##"<line x1="{x0:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#c33" stroke-dasharray="5,4"/>"##,
        y(rb),
        x0 + PANEL,
        y(rb)
    );
    // The frontier, as points (and a line through them for two parties).
    if problem.parties.len() == 2 {
        let path: Vec<String> =
            frontier.points.iter().map(|point| format!("{:.1},{:.1}", x(point.utilities[a]), y(point.utilities[b]))).collect();
        let _ = writeln!(out, r##"<polyline points="{}" fill="none" stroke="#2463c4" stroke-width="1.5"/>"##, path.join(" "));
    }
    for point in &frontier.points {
        let _ = writeln!(out, r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#2463c4"/>"##, x(point.utilities[a]), y(point.utilities[b]));
    }
    let mark = |out: &mut String, point: &Option<Point>, letter: &str, colour: &str| {
        if let Some(point) = point {
            let (px, py) = (x(point.utilities[a]), y(point.utilities[b]));
            let _ = writeln!(out, r##"<circle cx="{px:.1}" cy="{py:.1}" r="6" fill="none" stroke="{colour}" stroke-width="2"/>"##);
            let _ = writeln!(out, r##"<text x="{:.1}" y="{:.1}" fill="{colour}" font-weight="bold">{letter}</text>"##, px + 8.0, py - 6.0);
        }
    };
    mark(out, &solutions.nash, "N", "#0a7d32");
    mark(out, &solutions.kalai_smorodinsky, "K", "#8a2be2");
    mark(out, &solutions.egalitarian, "E", "#d2691e");
    mark(out, &solutions.utilitarian, "U", "#444");
    if let Some(proposal) = input.proposal {
        let (px, py) = (x(proposal[a]), y(proposal[b]));
        let _ = writeln!(
            out,
            r##"<path d="M {:.1} {:.1} l 6 6 m -12 0 l 6 -6 m 0 0 l -6 -6 m 12 0 l -6 6" stroke="#c00" stroke-width="2.5"/>"##,
            px, py
        );
        let _ = writeln!(out, r##"<text x="{:.1}" y="{:.1}" fill="#c00" font-weight="bold">P</text>"##, px + 8.0, py + 14.0);
    }
}

pub use crate::xml::escape;

/// Up to `count` outcomes' utility vectors, sampled deterministically (all of them when fewer).
pub fn sample_utilities(problem: &Problem, count: usize) -> Vec<Vec<f64>> {
    let sizes: Vec<u64> = problem.space.issues.iter().map(|issue| issue.values.len() as u64).collect();
    if sizes.contains(&0) {
        return Vec::new();
    }
    let total = problem.space.count().exact();
    let mut sample = Vec::new();
    match total {
        Some(total) if total <= count as u64 => {
            crate::frontier::for_each_outcome(problem, &mut |outcome| sample.push(problem.utilities(outcome)));
        }
        _ => {
            let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
            for _ in 0..count {
                let outcome: Vec<u32> = sizes
                    .iter()
                    .map(|&size| {
                        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                        ((state >> 33) % size) as u32
                    })
                    .collect();
                sample.push(problem.utilities(&outcome));
            }
        }
    }
    sample
}
