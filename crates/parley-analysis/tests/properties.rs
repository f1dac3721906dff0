//! The analysis against brute force on many random small problems: frontiers, bargaining
//! solutions and rational-outcome counts, for 2 to 5 parties, additive and hyper-rectangle
//! utilities, with and without reservation values. Utilities are drawn from a coarse grid so that
//! exact ties — the hard part of every definition — happen often.

use parley_analysis::frontier::{FrontierOptions, Point, brute_force_frontier, for_each_outcome, frontier};
use parley_analysis::rational::count_rational;
use parley_analysis::solutions::solve;
use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Rectangle, Rectangles, Utility};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn grid(step: u8) -> f64 {
    f64::from(step) * 0.125
}

#[derive(Clone, Debug)]
struct Shape {
    sizes: Vec<usize>,
    parties: usize,
}

fn shape() -> impl Strategy<Value = Shape> {
    (proptest::collection::vec(1usize..5, 1..5), 2usize..6).prop_map(|(sizes, parties)| Shape { sizes, parties })
}

fn space(sizes: &[usize]) -> OutcomeSpace {
    OutcomeSpace {
        issues: sizes
            .iter()
            .enumerate()
            .map(|(index, &size)| IssueSpace { name: format!("i{index}"), values: (0..size as i64).map(Label::Integer).collect() })
            .collect(),
    }
}

fn additive_problem() -> impl Strategy<Value = Problem> {
    shape().prop_flat_map(|shape| {
        let tables = proptest::collection::vec(
            shape.sizes.iter().map(|&size| proptest::collection::vec(0u8..9, size)).collect::<Vec<_>>(),
            shape.parties,
        );
        let reservations = proptest::collection::vec(prop_oneof![Just(None), (0u8..20).prop_map(Some)], shape.parties);
        (Just(shape), tables, reservations).prop_map(|(shape, tables, reservations)| Problem {
            space: space(&shape.sizes),
            parties: tables
                .into_iter()
                .zip(reservations)
                .enumerate()
                .map(|(index, (table, reservation))| Party {
                    name: format!("p{index}"),
                    utility: Utility::Additive(Additive {
                        tables: table.into_iter().map(|row| row.into_iter().map(grid).collect()).collect(),
                    }),
                    reservation: reservation.map_or(0.0, |step| f64::from(step) * 0.1),
                    discount: None,
                })
                .collect(),
        })
    })
}

fn rectangle_problem() -> impl Strategy<Value = Problem> {
    (proptest::collection::vec(1usize..5, 1..4), 2usize..4).prop_flat_map(|(sizes, parties)| {
        let issues = sizes.len();
        let bound = (0..issues, 0u32..4, 0u32..4).prop_map(|(issue, a, b)| (issue, a.min(b), a.max(b)));
        let rectangle = (1u8..9, proptest::collection::vec(bound.clone(), 0..3), proptest::collection::vec(bound, 0..2))
            .prop_map(|(bonus, includes, excludes)| Rectangle { bonus: f64::from(bonus), includes, excludes });
        let party = (proptest::collection::vec(rectangle, 0..5), 1u8..20);
        (Just(sizes), proptest::collection::vec(party, parties)).prop_map(|(sizes, parties)| Problem {
            space: space(&sizes),
            parties: parties
                .into_iter()
                .enumerate()
                .map(|(index, (rectangles, max))| Party {
                    name: format!("p{index}"),
                    utility: Utility::Rectangles(Rectangles { rectangles, max_utility: f64::from(max), weight: 1.0 }),
                    reservation: 0.1 * index as f64,
                    discount: None,
                })
                .collect(),
        })
    })
}

/// Every outcome and its utilities.
fn all_outcomes(problem: &Problem) -> Vec<(Vec<u32>, Vec<f64>)> {
    let mut all = Vec::new();
    for_each_outcome(problem, &mut |outcome| all.push((outcome.to_vec(), problem.utilities(outcome))));
    all
}

/// The four solutions straight from their definitions over all rational outcomes.
fn brute_force_solutions(problem: &Problem) -> [Option<Vec<f64>>; 4] {
    let reservations = problem.reservations();
    let rational: Vec<Vec<f64>> = all_outcomes(problem)
        .into_iter()
        .map(|(_, utilities)| utilities)
        .filter(|utilities| utilities.iter().zip(&reservations).all(|(u, d)| u >= d))
        .collect();
    if rational.is_empty() {
        return [None, None, None, None];
    }
    let parties = reservations.len();
    let ideal: Vec<f64> = (0..parties).map(|party| rational.iter().map(|u| u[party]).fold(f64::NEG_INFINITY, f64::max)).collect();
    let pick = |score: &dyn Fn(&[f64]) -> f64| -> Option<Vec<f64>> {
        let key = |u: &Vec<f64>| (score(u), u.iter().sum::<f64>(), u.clone());
        rational
            .iter()
            .max_by(|a, b| {
                let (ka, kb) = (key(a), key(b));
                ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then_with(|| {
                    ka.2.iter()
                        .zip(&kb.2)
                        .map(|(x, y)| x.total_cmp(y))
                        .find(|ordering| ordering.is_ne())
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
            })
            .cloned()
    };
    let gain = |u: &[f64], party: usize| u[party] - reservations[party];
    [
        pick(&|u| (0..parties).map(|party| gain(u, party)).product()),
        pick(&|u| {
            (0..parties)
                .map(|party| if ideal[party] > reservations[party] { gain(u, party) / (ideal[party] - reservations[party]) } else { 1.0 })
                .fold(f64::INFINITY, f64::min)
        }),
        pick(&|u| (0..parties).map(|party| gain(u, party)).fold(f64::INFINITY, f64::min)),
        pick(&|u| u.iter().sum()),
    ]
}

fn check_points(problem: &Problem, points: &[Point]) -> Result<(), TestCaseError> {
    for point in points {
        prop_assert_eq!(&problem.utilities(&point.outcome), &point.utilities, "a point's outcome must attain its utilities");
    }
    Ok(())
}

fn check_problem(problem: Problem) -> Result<(), TestCaseError> {
    let exact = frontier(&problem, &FrontierOptions::default()).expect("small problems are solved");
    let reference = brute_force_frontier(&problem);
    let utilities = |points: &[Point]| points.iter().map(|point| point.utilities.clone()).collect::<Vec<_>>();
    prop_assert_eq!(utilities(&exact.points), utilities(&reference.points));
    check_points(&problem, &exact.points)?;

    let solutions = solve(&exact, &problem.reservations());
    let expected = brute_force_solutions(&problem);
    let found = [&solutions.nash, &solutions.kalai_smorodinsky, &solutions.egalitarian, &solutions.utilitarian];
    for (name, (found, expected)) in ["nash", "kalai-smorodinsky", "egalitarian", "utilitarian"].iter().zip(found.iter().zip(&expected)) {
        prop_assert_eq!(found.as_ref().map(|point| point.utilities.clone()), expected.clone(), "{}", name);
        if let Some(point) = found {
            check_points(&problem, std::slice::from_ref(point))?;
        }
    }

    let reservations = problem.reservations();
    let rational = all_outcomes(&problem).iter().filter(|(_, u)| u.iter().zip(&reservations).all(|(u, d)| u >= d)).count();
    let counted = count_rational(&problem, 1_000_000, 1e9).expect("small problems are counted");
    prop_assert_eq!(counted.to_string(), rational.to_string());
    Ok(())
}

#[test]
fn additive_analysis_agrees_with_brute_force() {
    let mut runner = TestRunner::new(Config { cases: 600, ..Config::default() });
    runner.run(&additive_problem(), check_problem).unwrap();
}

#[test]
fn hyper_rectangle_analysis_agrees_with_brute_force() {
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    runner.run(&rectangle_problem(), check_problem).unwrap();
}

/// Random real-valued utilities (no grid): frontiers must still be bit-identical.
#[test]
fn additive_frontier_is_bit_identical_with_real_weights() {
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    let strategy = (proptest::collection::vec(1usize..6, 1..6), 2usize..4).prop_flat_map(|(sizes, parties)| {
        let tables =
            proptest::collection::vec(sizes.iter().map(|&size| proptest::collection::vec(0.0f64..1.0, size)).collect::<Vec<_>>(), parties);
        (Just(sizes), tables)
    });
    runner
        .run(&strategy, |(sizes, tables)| {
            let problem = Problem {
                space: space(&sizes),
                parties: tables
                    .into_iter()
                    .enumerate()
                    .map(|(index, tables)| Party {
                        name: format!("p{index}"),
                        utility: Utility::Additive(Additive { tables }),
                        reservation: 0.0,
                        discount: None,
                    })
                    .collect(),
            };
            let exact = frontier(&problem, &FrontierOptions::default()).unwrap();
            let reference = brute_force_frontier(&problem);
            prop_assert_eq!(exact.points.len(), reference.points.len());
            for (a, b) in exact.points.iter().zip(&reference.points) {
                prop_assert_eq!(&a.utilities, &b.utilities);
            }
            Ok(())
        })
        .unwrap();
}

/// Random GENIUS files with mixed issue kinds (discrete, integer, real) and reservation values:
/// the loader's utilities equal the GENIUS formulas computed here independently, and the
/// analysis of the loaded problem agrees with brute force.
#[test]
fn random_genius_domains_of_mixed_kinds_agree_with_brute_force() {
    use parley_analysis::genius::{GeniusFile, LoadOptions, load};

    #[derive(Clone, Debug)]
    enum Kind {
        Discrete(usize),
        Integer(i64, i64),
        Real(f64, f64),
    }
    let kind = prop_oneof![
        (1usize..4).prop_map(Kind::Discrete),
        (-3i64..3, 0i64..3).prop_map(|(low, span)| Kind::Integer(low, low + span)),
        (0u8..4, 1u8..4).prop_map(|(low, span)| Kind::Real(f64::from(low), f64::from(low + span))),
    ];
    let strategy = (proptest::collection::vec(kind, 1..4), 2usize..4).prop_flat_map(|(kinds, parties)| {
        let issues = kinds.len();
        let profile = (
            proptest::collection::vec(0u8..5, issues),                               // weights (tenths)
            proptest::collection::vec(proptest::collection::vec(0u8..7, 3), issues), // discrete evaluations
            proptest::collection::vec((-4i8..5, -4i8..5), issues),                   // (offset, slope) in tenths
            0u8..6,                                                                  // reservation (tenths)
        );
        (Just(kinds), proptest::collection::vec(profile, parties))
    });
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    runner
        .run(&strategy, |(kinds, profiles)| {
            let mut domain = String::from("<negotiation_template><utility_space><objective index=\"0\" name=\"o\">");
            for (index, kind) in kinds.iter().enumerate() {
                match kind {
                    Kind::Discrete(count) => {
                        domain.push_str(&format!("<issue index=\"{}\" name=\"i{index}\" type=\"discrete\">", index + 1));
                        for value in 0..*count {
                            domain.push_str(&format!("<item index=\"{}\" value=\"v{value}\"/>", value + 1));
                        }
                        domain.push_str("</issue>");
                    }
                    Kind::Integer(low, high) => domain.push_str(&format!(
                        "<issue index=\"{}\" name=\"i{index}\" type=\"integer\" lowerbound=\"{low}\" upperbound=\"{high}\"/>",
                        index + 1
                    )),
                    Kind::Real(low, high) => domain.push_str(&format!(
                        "<issue index=\"{}\" name=\"i{index}\" type=\"real\"><range lowerbound=\"{low}\" upperbound=\"{high}\"/></issue>",
                        index + 1
                    )),
                }
            }
            domain.push_str("</objective></utility_space></negotiation_template>");
            let mut files = Vec::new();
            for (party, (weights, evaluations, linear, reservation)) in profiles.iter().enumerate() {
                let mut text = String::from("<utility_space><objective index=\"0\" name=\"o\">");
                for (index, kind) in kinds.iter().enumerate() {
                    text.push_str(&format!("<issue index=\"{}\" name=\"i{index}\">", index + 1));
                    let (offset, slope) = (f64::from(linear[index].0) / 10.0, f64::from(linear[index].1) / 10.0);
                    match kind {
                        Kind::Discrete(count) => {
                            for value in 0..*count {
                                text.push_str(&format!("<item value=\"v{value}\" evaluation=\"{}\"/>", evaluations[index][value]));
                            }
                        }
                        Kind::Integer(..) => text.push_str(&format!("<evaluator ftype=\"linear\" offset=\"{offset}\" slope=\"{slope}\"/>")),
                        Kind::Real(..) => {
                            text.push_str(&format!("<evaluator ftype=\"linear\" parameter0=\"{offset}\" parameter1=\"{slope}\"/>"))
                        }
                    }
                    text.push_str("</issue>");
                }
                for (index, weight) in weights.iter().enumerate() {
                    text.push_str(&format!("<weight index=\"{}\" value=\"{}\"/>", index + 1, f64::from(*weight) / 10.0));
                }
                text.push_str(&format!("</objective><reservation value=\"{}\"/></utility_space>", f64::from(*reservation) / 10.0));
                files.push(GeniusFile::new(format!("p{party}.xml"), text));
            }
            let loaded = match load(&GeniusFile::new("d.xml", domain), &files, &LoadOptions::default()) {
                Ok(loaded) => loaded,
                // A profile with every weight or evaluation zero is refused by design.
                Err(error) if error.message.contains("every outcome has utility 0") => return Ok(()),
                Err(error) => panic!("{error}"),
            };
            // The GENIUS formulas, independently: discrete round(e)/round(max) when round(max) > 1,
            // integer clip(o + s(x − low)), real clip(p0 + p1·x) on 11 points.
            for (outcome, utilities) in all_outcomes(&loaded.problem) {
                for (party, (weights, evaluations, linear, _)) in profiles.iter().enumerate() {
                    let mut expected = 0.0;
                    for (index, kind) in kinds.iter().enumerate() {
                        let value = outcome[index] as usize;
                        let (offset, slope) = (f64::from(linear[index].0) / 10.0, f64::from(linear[index].1) / 10.0);
                        let evaluation = match kind {
                            Kind::Discrete(count) => {
                                let raw: Vec<f64> = evaluations[index][..*count].iter().map(|&e| f64::from(e)).collect();
                                let maximum = raw.iter().copied().fold(0.0, f64::max).round();
                                if maximum > 1.0 { raw[value].round() / maximum } else { raw[value] }
                            }
                            Kind::Integer(..) => (offset + slope * value as f64).clamp(0.0, 1.0),
                            Kind::Real(low, high) => (offset + slope * (low + (high - low) * value as f64 / 10.0)).clamp(0.0, 1.0),
                        };
                        expected += f64::from(weights[index]) / 10.0 * evaluation;
                    }
                    prop_assert!((utilities[party] - expected).abs() < 1e-12, "party {party}: {} vs {expected}", utilities[party]);
                }
            }
            check_problem(loaded.problem)
        })
        .unwrap();
}
