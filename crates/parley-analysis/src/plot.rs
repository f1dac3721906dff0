//! The utility space as an SVG picture: a sample of outcomes, the Pareto frontier, the bargaining
//! solutions, the reservation values and the proposal. With more than two parties, one panel per
//! pair of parties.

use std::fmt::Write;

pub mod trace;

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
    // The legend names exactly what the panels draw.
    let mut layers = Vec::new();
    if !input.sample.is_empty() {
        layers.push("grey: outcomes (a sample)");
    }
    if !frontier.points.is_empty() {
        layers.push("blue: Pareto frontier");
    }
    layers.push("dashed red: reservation values");
    let markers: Vec<String> = markers(solutions, input).iter().map(|marker| format!("{} {}", marker.letter, marker.name)).collect();
    let legend = [layers.join(" · "), markers.join(" · ")];
    for (line, text) in legend.iter().filter(|text| !text.is_empty()).enumerate() {
        let _ = writeln!(out, r##"<text class="legend" x="{MARGIN}" y="{}" fill="#444">{text}</text>"##, 42 + 16 * line);
    }
    let mut marked = Vec::new();
    for (index, &(a, b)) in pairs.iter().enumerate() {
        let x0 = MARGIN + (index % columns) as f64 * (PANEL + MARGIN);
        let y0 = 76.0 + MARGIN / 2.0 + (index / columns) as f64 * (PANEL + MARGIN);
        marked.extend(panel(&mut out, problem, frontier, solutions, input, (a, b), (x0, y0)));
    }
    // Labels are laid out over all panels at once: a long label may reach into the next panel.
    label_markers(&mut out, &marked);
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
) -> Vec<(f64, f64, Marker)> {
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
    let placed: Vec<(f64, f64, Marker)> = markers(solutions, input)
        .into_iter()
        .map(|marker| {
            let (px, py) = (x(marker.utilities[a]), y(marker.utilities[b]));
            (px, py, marker)
        })
        .collect();
    for (px, py, marker) in &placed {
        if marker.letter == "P" {
            let _ = writeln!(
                out,
                r##"<path d="M {px:.1} {py:.1} l 6 6 m -12 0 l 6 -6 m 0 0 l -6 -6 m 12 0 l -6 6" stroke="{}" stroke-width="2.5"/>"##,
                marker.colour
            );
        } else {
            let _ = writeln!(out, r##"<circle cx="{px:.1}" cy="{py:.1}" r="6" fill="none" stroke="{}" stroke-width="2"/>"##, marker.colour);
        }
    }
    placed
}

/// Labels the markers drawn at these spots. Markers at the same spot share one label ("N = K");
/// labels are laid out so that none covers another.
fn label_markers(out: &mut String, placed: &[(f64, f64, Marker)]) {
    let mut groups: Vec<(f64, f64, Vec<&Marker>)> = Vec::new();
    for (px, py, marker) in placed {
        match groups.iter_mut().find(|(gx, gy, _)| (gx - px).abs() < 0.5 && (gy - py).abs() < 0.5) {
            Some(group) => group.2.push(marker),
            None => groups.push((*px, *py, vec![marker])),
        }
    }
    let mut boxes = Vec::new();
    for (px, py, members) in groups {
        let text = members.iter().map(|marker| marker.letter).collect::<Vec<_>>().join(" = ");
        let label = place_label(px, py, &text, &boxes);
        let _ = writeln!(
            out,
            r##"<text class="marker-label" x="{:.1}" y="{:.1}" fill="{}" font-weight="bold">{text}</text>"##,
            label.left, label.bottom, members[0].colour
        );
        boxes.push(label);
    }
}

/// A bargaining solution or the proposal, as the plot marks it.
#[derive(Clone, Debug)]
struct Marker {
    letter: &'static str,
    name: &'static str,
    colour: &'static str,
    utilities: Vec<f64>,
}

/// The markers there is something to draw for, in legend order.
fn markers(solutions: &Solutions, input: &PlotInput<'_>) -> Vec<Marker> {
    let solution = |point: &Option<Point>, letter, name, colour| {
        point.as_ref().map(|point| Marker { letter, name, colour, utilities: point.utilities.clone() })
    };
    let mut markers: Vec<Marker> = [
        solution(&solutions.nash, "N", "Nash", "#0a7d32"),
        solution(&solutions.kalai_smorodinsky, "K", "Kalai–Smorodinsky", "#8a2be2"),
        solution(&solutions.egalitarian, "E", "egalitarian", "#d2691e"),
        solution(&solutions.utilitarian, "U", "utilitarian", "#444"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(proposal) = input.proposal {
        markers.push(Marker { letter: "P", name: "the current proposal", colour: "#c00", utilities: proposal.to_vec() });
    }
    markers
}

/// Where a label's text sits: `left` and `bottom` are its SVG `x` and baseline `y`.
#[derive(Clone, Copy, Debug)]
struct LabelBox {
    left: f64,
    bottom: f64,
    width: f64,
}

/// Height of a label's box above its baseline, and the width of one character, for 12-pixel bold
/// text (generous, so that estimated boxes that do not meet leave real text apart too).
const LABEL_HEIGHT: f64 = 13.0;
const CHARACTER_WIDTH: f64 = 8.0;

impl LabelBox {
    fn overlaps(&self, other: &LabelBox) -> bool {
        self.left < other.left + other.width
            && other.left < self.left + self.width
            && self.bottom - LABEL_HEIGHT < other.bottom
            && other.bottom - LABEL_HEIGHT < self.bottom
    }
}

/// The first free spot for a label near its point: above right, below right, above left, below
/// left, then further up step by step. A step is taller than a label, so each placed label blocks
/// at most two steps and one of `2 × placed + 1` steps is free.
fn place_label(px: f64, py: f64, text: &str, placed: &[LabelBox]) -> LabelBox {
    let width = text.chars().count() as f64 * CHARACTER_WIDTH;
    let near = [(px + 8.0, py - 6.0), (px + 8.0, py + 18.0), (px - 8.0 - width, py - 6.0), (px - 8.0 - width, py + 18.0)];
    let further = (1..=2 * placed.len() + 1).map(|step| (px + 8.0, py - 6.0 - step as f64 * (LABEL_HEIGHT + 1.0)));
    near.into_iter()
        .chain(further)
        .map(|(left, bottom)| LabelBox { left, bottom, width })
        .find(|candidate| placed.iter().all(|other| !candidate.overlaps(other)))
        .unwrap_or(LabelBox { left: px + 8.0, bottom: py - 6.0, width })
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
