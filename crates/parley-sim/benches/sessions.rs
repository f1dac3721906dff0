//! Session throughput: offers per second on small domains. Run with `cargo bench -p parley-sim`.

use divan::counter::ItemsCount;
use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
use parley_sim::acceptable::{Acceptable, Region};
use parley_sim::agents::AgentKind;
use parley_sim::inverter::InverseCache;
use parley_sim::rng::Rng;
use parley_sim::session::{Protocol, SessionConfig, run_session_with, run_session_within};

fn main() {
    divan::main();
}

fn problem(issues: usize, values: usize, seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let space = OutcomeSpace {
        issues: (0..issues)
            .map(|issue| IssueSpace { name: format!("i{issue}"), values: (0..values as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let parties = (0..2)
        .map(|party| {
            let tables = (0..issues).map(|_| (0..values).map(|_| rng.unit() / issues as f64).collect()).collect();
            Party { name: format!("p{party}"), utility: Utility::Additive(Additive { tables }), reservation: 0.0, discount: None }
        })
        .collect();
    Problem { space, parties }
}

/// Two hard-liners never agree: every round is two offers (rejection + counter-offer).
#[divan::bench(args = [100, 1000], sample_count = 20)]
fn offers_between_hardliners(bencher: divan::Bencher<'_, '_>, rounds: u32) {
    let problem = problem(3, 10, 1);
    let cache = InverseCache::default();
    let config = SessionConfig { protocol: Protocol::AlternatingOffers, rounds, seed: 1, record_trace: false, time_limit: None };
    let kinds = [AgentKind::Hardliner, AgentKind::Hardliner];
    let offers = run_session_with(&problem, &kinds, &config, None, &cache).unwrap().offers;
    bencher.counter(ItemsCount::new(offers)).bench(|| run_session_with(&problem, &kinds, &config, None, &cache).unwrap().offers);
}

/// Time-based agents searching the sorted outcome list every turn.
#[divan::bench(args = [100, 1000], sample_count = 20)]
fn offers_boulware_against_boulware(bencher: divan::Bencher<'_, '_>, rounds: u32) {
    let problem = problem(4, 10, 2);
    let cache = InverseCache::default();
    let config = SessionConfig { protocol: Protocol::AlternatingOffers, rounds, seed: 1, record_trace: false, time_limit: None };
    let kinds = [AgentKind::Boulware, AgentKind::Boulware];
    let offers = run_session_with(&problem, &kinds, &config, None, &cache).unwrap().offers;
    bencher.counter(ItemsCount::new(offers)).bench(|| run_session_with(&problem, &kinds, &config, None, &cache).unwrap().offers);
}

/// The same, each party bound to a region of two boxes (red lines): the cost of the checks.
#[divan::bench(args = [100, 1000], sample_count = 20)]
fn offers_boulware_against_boulware_within_regions(bencher: divan::Bencher<'_, '_>, rounds: u32) {
    let problem = problem(4, 10, 2);
    let sizes = parley_sim::inverter::sizes_of(&problem);
    let region = |low: u32| {
        let first: Vec<Vec<u32>> = (0..4).map(|issue| if issue == 0 { (low..10).collect() } else { (0..10).collect() }).collect();
        let second: Vec<Vec<u32>> = (0..4).map(|issue| if issue == 1 { vec![low] } else { (0..10).collect() }).collect();
        Region::from_boxes(&sizes, &[first, second])
    };
    let acceptable = Acceptable::new(vec![Some(region(3)), Some(region(5))]);
    let cache = InverseCache::default();
    let config = SessionConfig { protocol: Protocol::AlternatingOffers, rounds, seed: 1, record_trace: false, time_limit: None };
    let kinds = [AgentKind::Boulware, AgentKind::Boulware];
    let run = || run_session_within(&problem, &acceptable, &kinds, &config, None, &cache).unwrap().offers;
    bencher.counter(ItemsCount::new(run())).bench(run);
}

/// A 30-issue, 4-value space (4^30 ≈ 1.15e18 outcomes), each party's tables a weight of 1/30 times
/// evaluations on a grid of 1/1000, as GENIUS profiles are: Boulware against conceder for 1000
/// rounds with exact targets (distinct running totals), set-up included (a fresh cache).
#[divan::bench(sample_count = 10)]
fn boulware_against_conceder_on_4_pow_30_outcomes(bencher: divan::Bencher<'_, '_>) {
    let problem = genius_like(30, 4);
    let config = SessionConfig { protocol: Protocol::AlternatingOffers, rounds: 1000, seed: 1, record_trace: false, time_limit: None };
    let kinds = [AgentKind::Boulware, AgentKind::Conceder];
    bencher.bench(|| run_session_with(&problem, &kinds, &config, None, &InverseCache::default()).unwrap().offers);
}

/// `issues` issues of `values` values; every table a weight of `1/issues` times evaluations k/1000.
fn genius_like(issues: usize, values: usize) -> Problem {
    let mut rng = Rng::new(11);
    let space = OutcomeSpace {
        issues: (0..issues)
            .map(|issue| IssueSpace { name: format!("i{issue}"), values: (0..values as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let weight = 1.0 / issues as f64;
    let parties = (0..2)
        .map(|party| {
            let tables = (0..issues).map(|_| (0..values).map(|_| weight * ((1 + rng.below(1000)) as f64 / 1000.0)).collect()).collect();
            Party { name: format!("p{party}"), utility: Utility::Additive(Additive { tables }), reservation: 0.0, discount: None }
        })
        .collect();
    Problem { space, parties }
}
