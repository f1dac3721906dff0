//! The inverse by query (meet in the middle): set-up and one `worst_in` query, on additive spaces
//! of 390,625 outcomes (ANAC Energy's size), 1e8 and 1e12 outcomes. Run with
//! `cargo bench -p parley-sim --bench inverse`.

use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
use parley_sim::inverter::InverseCache;
use parley_sim::rng::Rng;

fn main() {
    divan::main();
}

/// `issues` issues of `values` values; utilities random, summing to at most 1.
fn problem(issues: usize, values: usize) -> Problem {
    let mut rng = Rng::new(7);
    let space = OutcomeSpace {
        issues: (0..issues)
            .map(|issue| IssueSpace { name: format!("i{issue}"), values: (0..values as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let tables = (0..issues).map(|_| (0..values).map(|_| rng.unit() / issues as f64).collect()).collect();
    let party = Party { name: "p".into(), utility: Utility::Additive(Additive { tables }), reservation: 0.1, discount: None };
    Problem { space, parties: vec![party] }
}

const SPACES: [(usize, usize); 3] = [(8, 5), (8, 10), (12, 10)];

#[divan::bench(args = SPACES, sample_count = 10)]
fn set_up(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = problem(issues, values);
    bencher.bench(|| InverseCache::default().get_queries(&problem, 0, true, None, false).unwrap().max());
}

/// 100 `worst_in` queries spread over the utility range, as a Boulware agent asks them.
#[divan::bench(args = SPACES, sample_count = 20)]
fn hundred_queries(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = problem(issues, values);
    let inverse = InverseCache::default().get_queries(&problem, 0, true, None, false).unwrap();
    let (low, high) = (inverse.min().max(0.1), inverse.max());
    bencher.bench(|| (1..=100).filter_map(|step| inverse.worst_in(high - (high - low) * f64::from(step) / 100.0, high)).count());
}

/// Spaces past the halves (4^30 ≈ 1.15e18 and 10^20 outcomes), tables a weight of `1/issues` times
/// evaluations k/1000 as in GENIUS profiles: the distinct running totals' set-up.
const GRID_SPACES: [(usize, usize); 2] = [(30, 4), (20, 10)];

fn genius_like(issues: usize, values: usize) -> Problem {
    let mut problem = problem(issues, values);
    let mut rng = Rng::new(11);
    let weight = 1.0 / issues as f64;
    if let Utility::Additive(additive) = &mut problem.parties[0].utility {
        for table in &mut additive.tables {
            for value in table.iter_mut() {
                *value = weight * ((1 + rng.below(1000)) as f64 / 1000.0);
            }
        }
    }
    problem
}

/// The set-up a session starts with: the totals of the top sixteenth of the range (and those
/// near the bottom, for the lowest utility).
#[divan::bench(args = GRID_SPACES, sample_count = 10)]
fn set_up_running_totals(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = genius_like(issues, values);
    bencher.bench(|| InverseCache::default().get_queries(&problem, 0, true, None, false).unwrap().max());
}

/// The totals of every utility at once: what a session that concedes far ends up building.
#[divan::bench(args = GRID_SPACES, sample_count = 10)]
fn set_up_every_running_total(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = genius_like(issues, values);
    bencher.bench(|| parley_sim::sums::Sums::with_limit(&problem, 0, None, parley_sim::sums::TOTAL_LIMIT).map(|sums| sums.min()));
}

/// 100 `worst_in` queries over the running totals.
#[divan::bench(args = GRID_SPACES, sample_count = 20)]
fn hundred_queries_running_totals(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = genius_like(issues, values);
    let inverse = InverseCache::default().get_queries(&problem, 0, true, None, false).unwrap();
    assert!(matches!(&*inverse, parley_sim::inverter::Inverse::Queries(_)), "not exact");
    let (low, high) = (inverse.min().max(0.1), inverse.max());
    bencher.bench(|| (1..=100).filter_map(|step| inverse.worst_in(high - (high - low) * f64::from(step) / 100.0, high)).count());
}

/// Branch and bound (not chosen for sessions, see `parley_sim::bnb`): 10 `worst_in` queries in the
/// top thousandth of the range, built afresh each time (a query cut short voids the engine), on
/// random real tables of 1e8 outcomes and 4^30 ≈ 1.15e18 outcomes; the count answered is returned.
const BNB_SPACES: [(usize, usize); 2] = [(8, 10), (30, 4)];

#[divan::bench(args = BNB_SPACES, sample_count = 10)]
fn ten_queries_branch_and_bound(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = problem(issues, values);
    bencher.bench(|| {
        let by_bnb = parley_sim::queries::Queries::by_bnb(&problem, 0, true, None, parley_sim::bnb::NODE_LIMIT).unwrap();
        let (low, high) = (by_bnb.min.max(0.1), by_bnb.max);
        (1..=10).filter_map(|step| by_bnb.worst_in(high - (high - low) * f64::from(step) / 10_000.0, high)).count()
    });
}
