//! The SVG plot read back as text: its legend names exactly the markers it draws, and no two
//! marker labels cover each other.

use parley_analysis::frontier::{FrontierOptions, frontier};
use parley_analysis::plot::{PlotInput, svg};
use parley_analysis::solutions::solve;
use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Two or three parties with additive utilities over issues of the given sizes, from a coarse grid
/// so that solutions coincide often.
fn problem(tables: &[Vec<Vec<u8>>]) -> Problem {
    let sizes: Vec<usize> = tables[0].iter().map(Vec::len).collect();
    let space = OutcomeSpace {
        issues: sizes
            .iter()
            .enumerate()
            .map(|(index, &size)| IssueSpace { name: format!("i{index}"), values: (0..size as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let parties = tables
        .iter()
        .enumerate()
        .map(|(index, table)| Party {
            name: format!("p{index}"),
            utility: Utility::Additive(Additive {
                tables: table.iter().map(|values| values.iter().map(|&step| f64::from(step) * 0.25).collect()).collect(),
            }),
            reservation: 0.0,
            discount: None,
        })
        .collect();
    Problem { space, parties }
}

fn plot(problem: &Problem, proposal: Option<&[f64]>) -> String {
    let frontier = frontier(problem, &FrontierOptions::default()).unwrap();
    let solutions = solve(&frontier, &problem.reservations());
    svg(problem, &frontier, &solutions, &PlotInput { title: "test", sample: &[], proposal })
}

/// The value of attribute `name` in an SVG element's text.
fn attribute(element: &str, name: &str) -> f64 {
    let start = element.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    let end = start + element[start..].find('"').unwrap();
    element[start..end].parse().unwrap()
}

/// The text of every `<text class="CLASS">` element, with its x and y.
fn texts(svg: &str, class: &str) -> Vec<(f64, f64, String)> {
    svg.lines()
        .filter(|line| line.starts_with(&format!("<text class=\"{class}\"")))
        .map(|line| {
            let content = &line[line.find('>').unwrap() + 1..line.rfind("</text>").unwrap()];
            (attribute(line, "x"), attribute(line, "y"), content.to_owned())
        })
        .collect()
}

/// The marker letters the legend explains.
fn legend_letters(svg: &str) -> Vec<String> {
    let mut letters: Vec<String> = texts(svg, "legend")
        .iter()
        .filter(|(_, _, text)| !text.contains(':'))
        .flat_map(|(_, _, text)| text.split(" · ").map(|entry| entry.split(' ').next().unwrap().to_owned()).collect::<Vec<_>>())
        .collect();
    letters.sort();
    letters
}

/// The marker letters the panels label, once each.
fn drawn_letters(svg: &str) -> Vec<String> {
    let mut letters: Vec<String> =
        texts(svg, "marker-label").iter().flat_map(|(_, _, text)| text.split(" = ").map(str::to_owned).collect::<Vec<_>>()).collect();
    letters.sort();
    letters.dedup();
    letters
}

/// Label boxes estimated generously (8 pixels a character, 13 tall): none may meet another.
fn overlapping_labels(svg: &str) -> Option<(String, String)> {
    let labels = texts(svg, "marker-label");
    for (index, (x1, y1, text1)) in labels.iter().enumerate() {
        for (x2, y2, text2) in &labels[index + 1..] {
            let (w1, w2) = (text1.chars().count() as f64 * 8.0, text2.chars().count() as f64 * 8.0);
            if *x1 < x2 + w2 && *x2 < x1 + w1 && y1 - 13.0 < *y2 && y2 - 13.0 < *y1 {
                return Some((text1.clone(), text2.clone()));
            }
        }
    }
    None
}

// Regression: the legend always listed N, K, E, U and P, also without a proposal; and the
// labels of solutions at the same point were printed over each other.
#[test]
fn plot_legend_lists_only_drawn_markers_and_coincident_labels_combine() {
    // Symmetric: Nash, Kalai–Smorodinsky and egalitarian are the same point.
    let symmetric = problem(&[vec![vec![0, 2, 4]], vec![vec![4, 2, 0]]]);
    let picture = plot(&symmetric, None);
    assert_eq!(legend_letters(&picture), drawn_letters(&picture), "{picture}");
    assert!(!legend_letters(&picture).contains(&"P".to_owned()), "no proposal, no P in the legend");
    let labels: Vec<String> = texts(&picture, "marker-label").into_iter().map(|(_, _, text)| text).collect();
    assert!(labels.iter().any(|label| label.starts_with("N = K = E")), "{labels:?}");
    assert_eq!(overlapping_labels(&picture), None);

    // The proposal at the same point joins the shared label.
    let picture = plot(&symmetric, Some(&[0.5, 0.5]));
    assert_eq!(legend_letters(&picture), drawn_letters(&picture));
    assert!(texts(&picture, "marker-label").iter().any(|(_, _, text)| text.ends_with("= P")), "{picture}");
    assert_eq!(overlapping_labels(&picture), None);
}

#[test]
fn plot_labels_never_overlap_and_the_legend_matches_on_random_problems() {
    let tables = (2usize..4, proptest::collection::vec(1usize..4, 1..3)).prop_flat_map(|(parties, sizes)| {
        proptest::collection::vec(sizes.iter().map(|&size| proptest::collection::vec(0u8..5, size)).collect::<Vec<_>>(), parties)
    });
    let proposal = proptest::option::of(proptest::collection::vec(0u8..9, 3));
    let mut runner = TestRunner::new(Config { cases: 200, failure_persistence: None, ..Config::default() });
    runner
        .run(&(tables, proposal), |(tables, proposal)| {
            let problem = problem(&tables);
            let proposal: Option<Vec<f64>> =
                proposal.map(|steps| steps[..tables.len()].iter().map(|&step| f64::from(step) * 0.25).collect());
            let picture = plot(&problem, proposal.as_deref());
            prop_assert_eq!(legend_letters(&picture), drawn_letters(&picture));
            prop_assert_eq!(overlapping_labels(&picture), None);
            Ok(())
        })
        .unwrap();
}
