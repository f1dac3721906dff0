//! The inverse by query (meet in the middle, no listing) against the listing it replaces (brute
//! force): on random small additive spaces — utilities on a coarse grid, so that ties are common —
//! with and without a reservation value and a region, every query answers exactly as the sorted
//! listing does, outcome for outcome.

use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
use parley_sim::acceptable::Region;
use parley_sim::inverter::Inverse;
use parley_sim::queries::Queries;
use proptest::prelude::*;

fn problem(tables: Vec<Vec<f64>>, reservation: f64) -> Problem {
    let space = OutcomeSpace {
        issues: tables
            .iter()
            .enumerate()
            .map(|(issue, table)| IssueSpace { name: format!("i{issue}"), values: (0..table.len() as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let party = |name: &str, tables: Vec<Vec<f64>>| Party {
        name: name.into(),
        utility: Utility::Additive(Additive { tables }),
        reservation,
        discount: None,
    };
    let other: Vec<Vec<f64>> = tables.iter().map(|table| table.iter().rev().copied().collect()).collect();
    Problem { space, parties: vec![party("A", tables), party("B", other)] }
}

/// Tables of 1–5 issues of 1–4 values; values on a grid of `step` (coarse grids tie often), some
/// as sums of thirds so that the floating-point sum depends on its order.
fn tables() -> impl Strategy<Value = Vec<Vec<f64>>> {
    (prop::collection::vec(prop::collection::vec(0u32..7, 1..5), 1..6), prop_oneof![Just(0.25), Just(1.0 / 3.0), Just(0.1), Just(0.0137)])
        .prop_map(|(grid, step)| grid.into_iter().map(|row| row.into_iter().map(|cell| f64::from(cell) * step).collect()).collect())
}

/// Every query engine (the halves, the distinct running totals used beyond them — all at once,
/// and by windows deepened as queries need — and branch and bound beyond both) against the
/// listing.
fn compare(problem: &Problem, rational_only: bool, region: Option<&Region>, queries: &[(f64, f64)]) -> Result<(), TestCaseError> {
    // Built directly: the cache lists spaces this small.
    compare_one(problem, rational_only, region, queries, Queries::by_halves(problem, 0, rational_only, region).unwrap())?;
    compare_one(problem, rational_only, region, queries, Queries::by_sums(problem, 0, rational_only, region).unwrap())?;
    // By windows down the ladder one rung after another (no build of every utility beside them).
    let by_window = Queries::by_window(problem, 0, rational_only, region, parley_sim::sums::TOTAL_LIMIT, false).unwrap();
    compare_one(problem, rational_only, region, queries, by_window)?;
    prop_assert!(!parley_sim::sums::take_failed());
    let by_bnb = Queries::by_bnb(problem, 0, rational_only, region, parley_sim::bnb::NODE_LIMIT).unwrap();
    compare_one(problem, rational_only, region, queries, by_bnb)
}

fn compare_one(
    problem: &Problem,
    rational_only: bool,
    region: Option<&Region>,
    queries: &[(f64, f64)],
    by_query: Queries,
) -> Result<(), TestCaseError> {
    let listing = Inverse::new(problem, 0, rational_only, region).unwrap();
    let by_query = Inverse::Queries(by_query);
    prop_assert_eq!(listing.min().to_bits(), by_query.min().to_bits());
    prop_assert_eq!(listing.max().to_bits(), by_query.max().to_bits());
    prop_assert_eq!(listing.outcome_at(0), by_query.outcome_at(0));
    for &(low, high) in queries {
        prop_assert_eq!(listing.worst_in(low, high), by_query.worst_in(low, high), "worst_in({}, {})", low, high);
    }
    // The walk down from the best (MiCRO): past the rational outcomes the listing holds the others,
    // which the query inverse does not give.
    let reservation = problem.parties[0].reservation;
    for i in 0..listing.len().min(40) {
        let expected = listing.outcome_at(i);
        if i == 0 || !rational_only || expected.as_ref().is_some_and(|(utility, _)| *utility >= reservation) {
            prop_assert_eq!(&expected, &by_query.outcome_at(i), "outcome_at({})", i);
        } else {
            prop_assert_eq!(by_query.outcome_at(i), None, "outcome_at({}) past the rational outcomes", i);
        }
    }
    // Positions near both ends (tit-for-tat), where the number of outcomes is known.
    let positioned = &by_query;
    if matches!(positioned, Inverse::Queries(queries) if queries.count.is_some()) && !rational_only {
        prop_assert_eq!(listing.last(), positioned.last());
        for back in 0..6.min(listing.len()) {
            let position = listing.last() - back;
            prop_assert_eq!(listing.utility_at_position(position).to_bits(), positioned.utility_at_position(position).to_bits());
        }
        prop_assert_eq!(listing.utility_at_position(0).to_bits(), positioned.utility_at_position(0).to_bits());
    }
    Ok(())
}

/// Queries spread over the utility range, and exactly at (and a hair around) utilities that occur.
fn queries(problem: &Problem, picks: &[(u32, u32, u32)]) -> Vec<(f64, f64)> {
    let listing = Inverse::new(problem, 0, false, None).unwrap();
    let (min, max) = (listing.min(), listing.max());
    let mut out = Vec::new();
    for &(a, b, c) in picks {
        let at = listing.utility_at_position(a as usize % listing.len());
        let spread = min - 0.1 + (max - min + 0.2) * f64::from(b) / 100.0;
        let nudge = [0.0, 1e-6, -1e-6, 5e-7, -5e-7, 2e-6, -3e-6, f64::EPSILON][c as usize % 8];
        out.push((at + nudge, max.max(at + nudge)));
        out.push((spread, max.max(spread)));
        out.push((at - nudge, at + f64::from(c % 3) * 1e-7));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn queries_answer_as_the_sorted_listing(
        tables in tables(),
        reservation_step in 0u32..8,
        picks in prop::collection::vec((0u32..1000, 0u32..100, 0u32..8), 1..12),
    ) {
        let max: f64 = tables.iter().map(|table| table.iter().copied().fold(0.0, f64::max)).sum();
        let problem = problem(tables, max * f64::from(reservation_step) / 7.0);
        let queries = queries(&problem, &picks);
        compare(&problem, false, None, &queries)?;
        compare(&problem, true, None, &queries)?;
    }

    /// The running totals merge the runs of an issue of few values at once and those of an issue
    /// of many values pairwise: issues of 1–12 values, mixed, answer as the listing either way.
    #[test]
    fn running_totals_of_few_and_many_values_answer_as_the_listing(
        grid in prop::collection::vec(prop::collection::vec(0u32..9, 1..13), 1..4),
        step in prop_oneof![Just(0.25), Just(1.0 / 3.0), Just(0.0137)],
        reservation_step in 0u32..8,
        picks in prop::collection::vec((0u32..1000, 0u32..100, 0u32..8), 1..12),
    ) {
        let tables: Vec<Vec<f64>> = grid.into_iter().map(|row| row.into_iter().map(|cell| f64::from(cell) * step).collect()).collect();
        let max: f64 = tables.iter().map(|table| table.iter().copied().fold(0.0, f64::max)).sum();
        let problem = problem(tables, max * f64::from(reservation_step) / 7.0);
        let queries = queries(&problem, &picks);
        for rational_only in [false, true] {
            compare_one(&problem, rational_only, None, &queries, Queries::by_sums(&problem, 0, rational_only, None).unwrap())?;
        }
    }

    /// A conceding agent asks for ever lower targets, repeats some and sometimes goes back up:
    /// the strip searched after an earlier, higher query gives what a fresh query gives.
    #[test]
    fn a_conceding_sequence_of_queries_answers_as_the_listing(
        tables in tables(),
        reservation_step in 0u32..8,
        picks in prop::collection::vec((0u32..1000, 0u32..100, 0u32..8), 1..12),
    ) {
        let max: f64 = tables.iter().map(|table| table.iter().copied().fold(0.0, f64::max)).sum();
        let problem = problem(tables, max * f64::from(reservation_step) / 7.0);
        let mut queries = queries(&problem, &picks);
        queries.sort_by(|a, b| b.0.total_cmp(&a.0));
        let again = queries.clone();
        queries.extend(again);
        compare(&problem, false, None, &queries)?;
        compare(&problem, true, None, &queries)?;
    }

    #[test]
    fn queries_within_a_region_answer_as_its_listing(
        tables in tables(),
        reservation_step in 0u32..8,
        boxes in prop::collection::vec(prop::collection::vec(prop::collection::vec(0u32..4, 1..4), 6), 1..4),
        picks in prop::collection::vec((0u32..1000, 0u32..100, 0u32..8), 1..12),
    ) {
        let max: f64 = tables.iter().map(|table| table.iter().copied().fold(0.0, f64::max)).sum();
        let sizes: Vec<u32> = tables.iter().map(|table| table.len() as u32).collect();
        let problem = problem(tables, max * f64::from(reservation_step) / 7.0);
        // Every index taken modulo its issue's size, so that no box is empty.
        let boxes: Vec<Vec<Vec<u32>>> = boxes
            .into_iter()
            .map(|allowed| allowed.into_iter().zip(&sizes).map(|(values, &size)| values.into_iter().map(|value| value % size).collect()).collect())
            .collect();
        let region = Region::from_boxes(&sizes, &boxes);
        let queries = queries(&problem, &picks);
        compare(&problem, false, Some(&region), &queries)?;
        compare(&problem, true, Some(&region), &queries)?;
    }
}

/// Regression: boxes of a region once split their issues at different points, so listing places
/// from two boxes were compared (and decoded) as if they had the same shape, and `worst_in` gave
/// `[0, 0, 0]` (utility 0.25) for utility 0.
#[test]
fn boxes_of_different_shapes_share_one_split() {
    let problem = problem(vec![vec![0.0, 0.0, 0.0], vec![0.25, 0.0, 0.0], vec![0.0, 0.0, 0.0, 0.0]], 0.0);
    let region = Region::from_boxes(&[3, 3, 4], &[vec![vec![0], vec![1, 0], vec![0, 1]], vec![vec![0, 1, 2], vec![0], vec![3]]]);
    let by_query = Inverse::Queries(Queries::by_halves(&problem, 0, false, Some(&region)).unwrap());
    assert_eq!(by_query.worst_in(0.0, 0.25), Inverse::new(&problem, 0, false, Some(&region)).unwrap().worst_in(0.0, 0.25));
    assert_eq!(by_query.worst_in(0.0, 0.25), Some((0.0, vec![0, 1, 0])));
}

/// A region of many boxes is not split box by box past a total size (every query would sweep
/// every box): 1,500 boxes of 3,000 entries each exceed it, one such box does not.
#[test]
fn regions_of_many_large_boxes_are_not_split() {
    let values: Vec<f64> = (0..3000).map(|value| f64::from(value) / 3000.0).collect();
    let problem = problem(vec![values.clone(), values], 0.0);
    let boxes: Vec<Vec<Vec<u32>>> = (0..1500).map(|k: u32| vec![vec![k], (0..3000).filter(|&value| value != k).collect()]).collect();
    let many = Region::from_boxes(&[3000, 3000], &boxes);
    assert_eq!(many.boxes().len(), 1500);
    assert!(Queries::new(&problem, 0, false, Some(&many)).is_none());
    let one = Region::from_boxes(&[3000, 3000], &boxes[..1]);
    assert!(Queries::new(&problem, 0, false, Some(&one)).is_some());
}

/// Listing places are 64-bit indices over each half's issues: a space of 2^140 outcomes (halves of
/// 2^70) is not split even for a region of one outcome, where computing its place would overflow.
#[test]
fn halves_too_large_to_index_are_not_split() {
    let problem = problem(vec![vec![0.0, 1.0]; 140], 0.0);
    let region = Region::from_boxes(&[2; 140], &[vec![vec![0]; 140]]);
    assert!(Queries::new(&problem, 0, false, Some(&region)).is_none());
}

/// Two running totals one ulp apart that the next issue's value rounds to one sum: the run of that
/// value meets the same total twice in a row, and the merged state keeps the first and the last
/// outcome reaching it in listing order (here four outcomes of utility 2, the first `(0, 0, 0)`,
/// the last `(1, 2, 1)`).
#[test]
fn running_totals_that_round_together_keep_the_first_and_last_outcome() {
    let tiny = f64::EPSILON;
    assert_eq!((1.0 + tiny) + 1.0, 1.0 + 1.0, "the case this test needs");
    let tables = vec![vec![1.0 + tiny, 1.0, 0.5], vec![1.0, 0.0, 1.0, 0.25], vec![0.0, 0.0]];
    let problem = problem(tables, 0.0);
    let picks: Vec<(u32, u32, u32)> = (0..24).map(|pick| (pick * 5, pick * 4, pick)).collect();
    let mut queries = queries(&problem, &picks);
    queries.extend([(2.0, 2.0), (2.0, 3.0), (1.75, 2.0), (2.0 - tiny, 2.5)]);
    for rational_only in [false, true] {
        compare(&problem, rational_only, None, &queries).unwrap();
    }
    let sums = Inverse::Queries(Queries::by_sums(&problem, 0, false, None).unwrap());
    assert_eq!(sums.worst_in(2.0, 2.0), Some((2.0, vec![0, 0, 0])));
}

/// Tables whose summed magnitude leaves less than its own size of headroom below `f64::MAX`: the
/// running totals, which mark a spent run by infinity and need every sum finite, refuse them
/// (`Layout::of`) rather than risk a sum rounding to infinity, and the listing answers.
#[test]
fn tables_near_the_largest_float_are_not_summed_by_running_totals() {
    let huge = f64::MAX / 3.0;
    let problem = problem(vec![vec![0.0, huge], vec![huge, 0.0], vec![0.0, 1.0]], 0.0);
    assert!(Queries::by_sums(&problem, 0, false, None).is_none());
    let listing = Inverse::new(&problem, 0, false, None).unwrap();
    assert_eq!(listing.max(), huge + huge + 1.0);
}

/// Issues of more than 256 values keep no value bytes: pairs are decoded from their places, and
/// answer as the listing does.
#[test]
fn issues_of_many_values_answer_as_the_listing() {
    let tables: Vec<Vec<f64>> =
        (0..2).map(|issue| (0..300).map(|value| f64::from((value * 7 + issue * 13) % 50) * 0.01).collect()).collect();
    let problem = problem(tables, 0.3);
    for rational_only in [false, true] {
        let listing = Inverse::new(&problem, 0, rational_only, None).unwrap();
        let by_query = Inverse::Queries(Queries::by_halves(&problem, 0, rational_only, None).unwrap());
        for step in (0..=100).rev() {
            let low = f64::from(step) * 0.01 + [0.0, 1e-6, -1e-6][step as usize % 3];
            assert_eq!(listing.worst_in(low, 1.0), by_query.worst_in(low, 1.0), "worst_in({low}, 1.0)");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// The distinct running totals against the halves on spaces too large to list here (4^10 to
    /// 5^10 outcomes): tables on a grid of 1/1000 scaled by a weight, as GENIUS profiles are,
    /// with and without a reservation value and a region.
    #[test]
    fn running_totals_answer_as_the_halves_on_mid_size_spaces(
        grid in prop::collection::vec(prop::collection::vec(0u32..1000, 4..6), 10),
        reservation_step in 0u32..4,
        targets in prop::collection::vec(0u32..1000, 20),
        narrow in prop::collection::vec(0u32..4, 10),
    ) {
        let weight = 1.0 / 10.0;
        let tables: Vec<Vec<f64>> = grid.into_iter().map(|row| row.into_iter().map(|cell| weight * (f64::from(cell) / 1000.0)).collect()).collect();
        let max: f64 = tables.iter().map(|table| table.iter().copied().fold(0.0, f64::max)).sum();
        let sizes: Vec<u32> = tables.iter().map(|table| table.len() as u32).collect();
        let problem = problem(tables, max * f64::from(reservation_step) / 4.0);
        let boxes: Vec<Vec<Vec<u32>>> = vec![
            sizes.iter().zip(&narrow).map(|(&size, &skip)| (0..size).filter(|&value| value != skip % size).collect()).collect(),
            sizes.iter().zip(&narrow).map(|(&size, &keep)| vec![keep % size, (keep + 1) % size]).collect(),
        ];
        let region = Region::from_boxes(&sizes, &boxes);
        for region in [None, Some(&region)] {
            for rational_only in [false, true] {
                let halves = Inverse::Queries(Queries::by_halves(&problem, 0, rational_only, region).unwrap());
                let sums = Inverse::Queries(Queries::by_sums(&problem, 0, rational_only, region).unwrap());
                prop_assert_eq!(halves.min().to_bits(), sums.min().to_bits());
                prop_assert_eq!(halves.max().to_bits(), sums.max().to_bits());
                for &target in &targets {
                    let low = halves.min() + (halves.max() - halves.min()) * f64::from(target) / 1000.0;
                    prop_assert_eq!(halves.worst_in(low, halves.max()), sums.worst_in(low, sums.max()), "worst_in({})", low);
                }
                for i in 0..30 {
                    prop_assert_eq!(halves.outcome_at(i), sums.outcome_at(i), "outcome_at({})", i);
                }
            }
        }
    }
}

/// A 30-issue, 4-value space (4^30 ≈ 1.15e18 outcomes) whose tables lie on a grid (a weight of
/// 1/30 times evaluations k/1000, as GENIUS profiles): too large for the halves, it was answered by
/// utility buckets (to within 1/4096 of the range); its running totals answer exactly, each answer
/// an outcome whose utility, summed as the utility sums, is the one reported.
#[test]
fn a_grid_space_of_4_pow_30_outcomes_is_answered_exactly() {
    let weight = 1.0 / 30.0;
    let tables: Vec<Vec<f64>> = (0..30u32)
        .map(|issue| (0..4u32).map(|value| weight * f64::from(1 + (issue * 389 + value * 677) % 1000) / 1000.0).collect())
        .collect();
    let problem = problem(tables, 0.2);
    let utility = &problem.parties[0].utility;
    let inverse = parley_sim::inverter::InverseCache::default().get_queries(&problem, 0, true, None, false).unwrap();
    assert!(matches!(&*inverse, Inverse::Queries(_)), "not answered by query");
    let (low, high) = (inverse.min().max(0.2), inverse.max());
    let mut previous = f64::INFINITY;
    for step in 0..=50 {
        let target = high - (high - low) * f64::from(step) / 50.0;
        let (found, outcome) = inverse.worst_in(target, high).unwrap();
        assert_eq!(found.to_bits(), utility.evaluate(&outcome).to_bits());
        assert!(found >= target - 1e-6 && found <= previous, "{found} for {target}");
        previous = found;
    }
    // The walk down from the best descends.
    let walk: Vec<f64> = (0..20).map(|k| inverse.outcome_at(k).unwrap().0).collect();
    assert!(walk.windows(2).all(|pair| pair[0] >= pair[1]), "{walk:?}");
}

/// The 4^30 grid space's tables (as [`a_grid_space_of_4_pow_30_outcomes_is_answered_exactly`]).
fn grid_4_pow_30() -> Problem {
    let weight = 1.0 / 30.0;
    let tables: Vec<Vec<f64>> = (0..30u32)
        .map(|issue| (0..4u32).map(|value| weight * f64::from(1 + (issue * 389 + value * 677) % 1000) / 1000.0).collect())
        .collect();
    problem(tables, 0.2)
}

/// Running totals built for the top of the range first and deepened as queries go lower answer
/// every query as the totals of every utility do: a conceding sequence, one that jumps to the
/// bottom and back, and the walk down from the best — from a fresh window too, through ties whose
/// outcomes pass through totals the window left out — with and without every total built on
/// another thread.
#[test]
fn a_window_deepened_by_queries_answers_as_all_running_totals() {
    let problem = grid_4_pow_30();
    let limit = parley_sim::sums::TOTAL_LIMIT;
    let all = Inverse::Queries(Queries::by_sums(&problem, 0, true, None).unwrap());
    let (low, high) = (all.min(), all.max());
    for background in [false, true] {
        let walk = Inverse::Queries(Queries::by_window(&problem, 0, true, None, limit, background).unwrap());
        for k in 0..200 {
            assert_eq!(walk.outcome_at(k), all.outcome_at(k), "outcome_at({k}) on a fresh window");
        }
        let window = Inverse::Queries(Queries::by_window(&problem, 0, true, None, limit, background).unwrap());
        assert_eq!((window.min().to_bits(), window.max().to_bits()), (low.to_bits(), high.to_bits()));
        let conceding = (0..=40).map(|step| high - (high - low) * f64::from(step) / 40.0);
        let jumping = [high - 1e-3, low, high - 1e-3, (low + high) / 2.0, low - 1.0];
        for target in conceding.chain(jumping) {
            assert_eq!(window.worst_in(target, high), all.worst_in(target, high), "worst_in({target}, {high})");
        }
        for k in 0..30 {
            assert_eq!(window.outcome_at(k), all.outcome_at(k), "outcome_at({k})");
        }
    }
    assert!(!parley_sim::sums::take_failed());
}

/// Tables on an integer grid whose range is 16: the floors of the rungs holding the top 1/16, 1/8,
/// 1/4 and 1/2 of the range fall exactly on utilities many outcomes tie at. Queries at, a hair
/// above and below, and around each such floor, each on a fresh window, and walks down through
/// the ties from a fresh window, answer as the listing.
#[test]
fn windows_whose_floor_is_a_tied_utility_answer_as_the_listing() {
    let tables: Vec<Vec<f64>> = (0..4).map(|_| (0..5).map(f64::from).collect()).collect();
    let problem = problem(tables, 0.0);
    let listing = Inverse::new(&problem, 0, false, None).unwrap();
    let fresh = || Inverse::Queries(Queries::by_window(&problem, 0, false, None, parley_sim::sums::TOTAL_LIMIT, false).unwrap());
    for floor in [15.0, 14.0, 12.0, 8.0] {
        for target in [floor, floor + 1e-9, floor - 1e-9, floor + 1e-6, floor - 1e-6, floor + 0.5, floor - 0.5] {
            for high in [16.0, floor, floor + 1e-6] {
                assert_eq!(fresh().worst_in(target, high), listing.worst_in(target, high), "worst_in({target}, {high})");
            }
        }
    }
    let walk = fresh();
    for k in 0..listing.len() {
        assert_eq!(walk.outcome_at(k), listing.outcome_at(k), "outcome_at({k})");
    }
    for back in 0..40 {
        let position = listing.last() - back;
        assert_eq!(fresh().utility_at_position(position).to_bits(), listing.utility_at_position(position).to_bits(), "position {position}");
    }
    assert!(!parley_sim::sums::take_failed());
}

/// Threads sharing one party's windows (as a tournament's sessions do), each conceding at its own
/// pace, moving the window down under each other and taking the totals built beside them: every
/// answer is the one the totals of every utility give.
#[test]
fn threads_sharing_a_window_answer_as_all_running_totals() {
    let problem = grid_4_pow_30();
    let all = Inverse::Queries(Queries::by_sums(&problem, 0, false, None).unwrap());
    let (low, high) = (all.min(), all.max());
    let shared = Inverse::Queries(Queries::by_window(&problem, 0, false, None, parley_sim::sums::TOTAL_LIMIT, true).unwrap());
    std::thread::scope(|scope| {
        for pace in [7u32, 11, 13] {
            let (all, shared) = (&all, &shared);
            scope.spawn(move || {
                for step in 0..=pace * 3 {
                    let target = high - (high - low) * f64::from(step) / f64::from(pace * 3);
                    assert_eq!(shared.worst_in(target, high), all.worst_in(target, high), "pace {pace}, worst_in({target})");
                    let k = (step * pace) as usize % 50;
                    assert_eq!(shared.outcome_at(k), all.outcome_at(k), "pace {pace}, outcome_at({k})");
                }
                assert!(!parley_sim::sums::take_failed());
            });
        }
    });
}

/// A query whose answer no window within the limit holds fails (`None`, and the thread is told);
/// the queries the windows within the limit can answer are still answered; and whether a query
/// fails does not depend on what was asked before it.
#[test]
fn a_window_past_its_limit_fails_only_the_queries_beyond_it() {
    let problem = grid_4_pow_30();
    let fresh = || Queries::by_window(&problem, 0, false, None, 50_000, false).unwrap();
    let window = fresh();
    let (min, high) = (window.min, window.max);
    let near = window.worst_in(high - 1e-4, high);
    assert!(near.is_some() && !parley_sim::sums::take_failed());
    assert_eq!(window.worst_in(min, high), None);
    assert!(parley_sim::sums::take_failed());
    assert_eq!(window.worst_in(high - 1e-4, high), near, "a shallow query after a failure");
    assert!(!parley_sim::sums::take_failed());
    // Each target asked of a fresh window and of one that failed first answers alike.
    let failed_first = fresh();
    assert_eq!(failed_first.worst_in(min, high), None);
    parley_sim::sums::take_failed();
    for step in 0..=20 {
        let target = high - (high - min) * f64::from(step) / 20.0;
        let (alone, failed) = (fresh().worst_in(target, high), parley_sim::sums::take_failed());
        assert_eq!((failed_first.worst_in(target, high), parley_sim::sums::take_failed()), (alone, failed), "worst_in({target})");
    }
    // All at once, the same limit is refused at the start.
    assert!(parley_sim::sums::Sums::with_limit(&problem, 0, None, 50_000).is_none());
}

/// Tables of unrelated reals share no running total: past the halves they give up (and the caller
/// falls back to buckets) rather than build a level per outcome.
#[test]
fn running_totals_of_unrelated_reals_give_up() {
    let mut seed = 1u64;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let tables: Vec<Vec<f64>> = (0..30).map(|_| (0..4).map(|_| next() / 30.0).collect()).collect();
    let problem = problem(tables, 0.0);
    assert!(parley_sim::sums::Sums::new(&problem, 0, None).is_none());
}

/// Tables of unrelated reals, `issues` × `values`, each value in [0, 1/issues).
fn unrelated(issues: usize, values: usize, mut seed: u64) -> Vec<Vec<f64>> {
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..issues).map(|_| (0..values).map(|_| next() / issues as f64).collect()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Branch and bound against the halves on spaces of unrelated reals (4^8 = 65,536 outcomes,
    /// too many to list in a property test, where near-ties are ulps apart): every query the same.
    #[test]
    fn branch_and_bound_answers_as_the_halves_on_unrelated_reals(
        seed in 0u64..1_000_000,
        rational_only in any::<bool>(),
        targets in prop::collection::vec(0u32..1000, 1..12),
    ) {
        let problem = problem(unrelated(8, 4, seed), 0.4);
        let halves = Inverse::Queries(Queries::by_halves(&problem, 0, rational_only, None).unwrap());
        let bnb = Inverse::Queries(Queries::by_bnb(&problem, 0, rational_only, None, parley_sim::bnb::NODE_LIMIT).unwrap());
        prop_assert_eq!(halves.min().to_bits(), bnb.min().to_bits());
        prop_assert_eq!(halves.max().to_bits(), bnb.max().to_bits());
        let (min, max) = (halves.min(), halves.max());
        for target in targets {
            let low = min - 0.05 + (max - min + 0.1) * f64::from(target) / 1000.0;
            for high in [max, low + 1e-6, low] {
                prop_assert_eq!(halves.worst_in(low, high), bnb.worst_in(low, high), "worst_in({}, {})", low, high);
            }
        }
        for k in 0..10 {
            prop_assert_eq!(halves.outcome_at(k), bnb.outcome_at(k), "outcome_at({})", k);
        }
    }
}

/// A 30-issue, 4-value space of unrelated reals (4^30 ≈ 1.15e18 outcomes): neither the halves nor
/// the running totals take it, and it used to be answered by utility buckets (to within 1/4096 of
/// the range, and still is). Branch and bound answers near the best exactly (each answer an
/// outcome whose utility, summed as the utility sums, is the one reported); a target in the dense
/// middle of the range needs more nodes than the limit, and the inverse says so instead of
/// answering — which is why sessions do not use it.
#[test]
fn an_unrelated_reals_space_of_4_pow_30_outcomes_is_answered_exactly_or_not_at_all() {
    let problem = problem(unrelated(30, 4, 7), 0.2);
    let utility = &problem.parties[0].utility;
    assert!(parley_sim::halves::Halves::new(&problem, 0, None).is_none());
    let by_bnb = Queries::by_bnb(&problem, 0, true, None, parley_sim::bnb::NODE_LIMIT).unwrap();
    let inverse = Inverse::Queries(by_bnb);
    let (low, high) = (inverse.min().max(0.2), inverse.max());
    let walk: Vec<(f64, Vec<u32>)> = (0..10).map(|k| inverse.outcome_at(k).unwrap()).collect();
    assert!(walk.windows(2).all(|pair| pair[0].0 >= pair[1].0));
    for (found, outcome) in &walk {
        assert_eq!(found.to_bits(), utility.evaluate(outcome).to_bits());
    }
    // The lowest at or above the 10th best's utility is the 10th best or a tie of it.
    let tenth = walk[9].0;
    assert_eq!(inverse.worst_in(tenth, high).unwrap().0.to_bits(), tenth.to_bits());
    let Inverse::Queries(queries) = &inverse else { unreachable!() };
    assert_eq!(queries.exhausted(), None);
    let middle = (low + high) / 2.0;
    assert_eq!(inverse.worst_in(middle, high), None);
    assert_eq!(queries.exhausted(), Some(parley_sim::bnb::NODE_LIMIT));
    // Cut short once, it answers nothing more, not even what it answered before.
    assert_eq!(inverse.worst_in(tenth, high), None);
}

/// A query that would visit more nodes than the limit answers nothing and says so: the engine
/// records the limit rather than give an inexact answer.
#[test]
fn branch_and_bound_cut_short_at_its_node_limit_says_so() {
    use parley_sim::halves::{Bound, Want};
    let problem = problem(unrelated(12, 4, 3), 0.0);
    let ample = parley_sim::bnb::Bnb::with_limit(&problem, 0, None, parley_sim::bnb::NODE_LIMIT).unwrap();
    assert!(ample.find(Some(Bound::at_least(0.5)), None, Want::Lowest).is_some());
    assert_eq!(ample.exhausted(), None);
    let tight = parley_sim::bnb::Bnb::with_limit(&problem, 0, None, 5).unwrap();
    assert_eq!(tight.find(Some(Bound::at_least(0.5)), None, Want::Lowest), None);
    assert_eq!(tight.exhausted(), Some(5));
}
