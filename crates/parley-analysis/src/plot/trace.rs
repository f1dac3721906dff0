//! A simulated session's trace as an SVG picture (`parley plot-trace`): the offers in the first
//! two parties' utility space, and each proposer's utility of its own offers over the rounds.

use std::fmt::Write;

/// Draws a trace: `names` are the parties in utility order (at least two), `rows` the offers as
/// (round, proposer, each party's utility). Names and proposers go into the SVG as they are, so
/// the caller escapes them (`plot::escape`).
pub fn svg(names: &[&str], rows: &[(u32, String, Vec<f64>)]) -> String {
    const SIZE: f64 = 380.0;
    const MARGIN: f64 = 60.0;
    let colours = ["#2463c4", "#c33", "#0a7d32", "#8a2be2", "#d2691e"];
    let proposers: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for (_, proposer, _) in rows {
            if !seen.contains(&proposer.as_str()) {
                seen.push(proposer);
            }
        }
        seen
    };
    let rounds = rows.iter().map(|(round, _, _)| *round).max().unwrap_or(0).max(1);
    let width = 2.0 * SIZE + 3.0 * MARGIN;
    let height = SIZE + 2.0 * MARGIN + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    // Left: offers in utility space of the first two parties.
    let (x0, y0) = (MARGIN, MARGIN);
    let _ = writeln!(svg, r##"<rect x="{x0}" y="{y0}" width="{SIZE}" height="{SIZE}" fill="none" stroke="#999"/>"##);
    let _ = writeln!(svg, r#"<text x="{}" y="{}" text-anchor="middle">utility of {}</text>"#, x0 + SIZE / 2.0, y0 + SIZE + 36.0, names[0]);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle" transform="rotate(-90 {} {})">utility of {}</text>"#,
        x0 - 36.0,
        y0 + SIZE / 2.0,
        x0 - 36.0,
        y0 + SIZE / 2.0,
        names[1]
    );
    for (index, proposer) in proposers.iter().enumerate() {
        let colour = colours[index % colours.len()];
        let points: Vec<String> = rows
            .iter()
            .filter(|(_, who, _)| who == proposer)
            .map(|(_, _, u)| format!("{:.1},{:.1}", x0 + u[0].clamp(0.0, 1.0) * SIZE, y0 + SIZE - u[1].clamp(0.0, 1.0) * SIZE))
            .collect();
        let _ =
            writeln!(svg, r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.2" opacity="0.8"/>"#, points.join(" "));
        for point in &points {
            let (x, y) = point.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(svg, r#"<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>"#);
        }
        let _ =
            writeln!(svg, r#"<text x="{}" y="{}" fill="{colour}">offers by {proposer}</text>"#, x0 + 8.0, y0 + 16.0 + 14.0 * index as f64);
    }
    // Right: each proposer's own utility of its offers over the rounds (its concession curve).
    let x1 = 2.0 * MARGIN + SIZE;
    let _ = writeln!(svg, r##"<rect x="{x1}" y="{y0}" width="{SIZE}" height="{SIZE}" fill="none" stroke="#999"/>"##);
    let _ = writeln!(svg, r#"<text x="{}" y="{}" text-anchor="middle">round (of {rounds})</text>"#, x1 + SIZE / 2.0, y0 + SIZE + 36.0);
    for tick in [0.0, 0.5, 1.0] {
        let _ =
            writeln!(svg, r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{tick}</text>"##, x0 - 6.0, y0 + SIZE - tick * SIZE + 4.0);
        let _ =
            writeln!(svg, r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">{tick}</text>"##, x0 + tick * SIZE, y0 + SIZE + 16.0);
        let _ =
            writeln!(svg, r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{tick}</text>"##, x1 - 6.0, y0 + SIZE - tick * SIZE + 4.0);
    }
    for (index, proposer) in proposers.iter().enumerate() {
        let colour = colours[index % colours.len()];
        let Some(party) = names.iter().position(|name| name == proposer) else { continue };
        let points: Vec<String> = rows
            .iter()
            .filter(|(_, who, _)| who == proposer)
            .map(|(round, _, u)| {
                format!("{:.1},{:.1}", x1 + f64::from(*round) / f64::from(rounds) * SIZE, y0 + SIZE - u[party].clamp(0.0, 1.0) * SIZE)
            })
            .collect();
        let _ = writeln!(svg, r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#, points.join(" "));
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" fill="{colour}">{proposer}'s utility of its own offers</text>"#,
            x1 + 8.0,
            y0 + SIZE - 10.0 - 14.0 * index as f64
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_proposer_gets_its_offers_and_its_concession_curve() {
        let rows = vec![(0, "A".to_owned(), vec![1.0, 0.2]), (1, "B".to_owned(), vec![0.3, 0.9]), (2, "A".to_owned(), vec![0.8, 0.4])];
        let svg = super::svg(&["A", "B"], &rows);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("offers by A") && svg.contains("offers by B"));
        assert!(svg.contains("A's utility of its own offers") && svg.contains("B's utility of its own offers"));
        assert!(svg.contains("round (of 2)"));
        // Two polylines per proposer: its offers in utility space and its concession curve.
        assert_eq!(svg.matches("<polyline").count(), 4);
    }
}
