//! Parties bound to regions (their red lines): no agent of any kind ever offers or accepts an
//! outcome outside its party's region, and an unconstrained problem runs exactly as before.

use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
use parley_sim::acceptable::{Acceptable, Region};
use parley_sim::agents::{Agent, AgentKind, Response, Turn};
use parley_sim::inverter::{InverseCache, decode, sizes_of};
use parley_sim::rng::Rng;
use parley_sim::session::{Protocol, SessionConfig, run_session_with, run_session_within};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// A random additive problem with reservation values.
fn problem(issues: usize, values: usize, parties: usize, rng: &mut Rng) -> Problem {
    let space = OutcomeSpace {
        issues: (0..issues)
            .map(|issue| IssueSpace { name: format!("i{issue}"), values: (0..values as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let parties = (0..parties)
        .map(|party| {
            let tables = (0..issues).map(|_| (0..values).map(|_| rng.unit() / issues as f64).collect()).collect();
            Party {
                name: format!("p{party}"),
                utility: Utility::Additive(Additive { tables }),
                reservation: 0.2 * rng.unit(),
                discount: None,
            }
        })
        .collect();
    Problem { space, parties }
}

/// A random region of a space: up to three boxes of random non-empty value sets, sometimes none
/// (the party may agree to nothing).
fn region(sizes: &[u32], rng: &mut Rng) -> Region {
    let boxes = if rng.below(12) == 0 { 0 } else { 1 + rng.below(3) };
    let boxes: Vec<Vec<Vec<u32>>> = (0..boxes)
        .map(|_| {
            sizes
                .iter()
                .map(|&size| {
                    let mut values: Vec<u32> = (0..size).filter(|_| rng.unit() < 0.6).collect();
                    if values.is_empty() {
                        values.push(rng.below(u64::from(size)) as u32);
                    }
                    values
                })
                .collect()
        })
        .collect();
    Region::from_boxes(sizes, &boxes)
}

/// Each party constrained with probability 3/4.
fn acceptable(problem: &Problem, rng: &mut Rng) -> Acceptable {
    let sizes = sizes_of(problem);
    Acceptable::new((0..problem.parties.len()).map(|_| (rng.below(4) != 0).then(|| region(&sizes, rng))).collect())
}

fn config(protocol: Protocol, rounds: u32, seed: u64) -> SessionConfig {
    SessionConfig { protocol, rounds, seed, record_trace: true, time_limit: None }
}

/// Every offer in the trace lies in its proposer's region, an agreement in every party's, and no
/// agent accepts an outcome outside its region when asked about each outcome of the space.
fn check_everything(problem: &Problem, acceptable: &Acceptable, seed: u64) -> Result<(), TestCaseError> {
    let cache = InverseCache::default();
    let parties = problem.parties.len();
    let mut assignments: Vec<Vec<AgentKind>> = Vec::new();
    for (index, &first) in AgentKind::ALL.iter().enumerate() {
        let others: Vec<AgentKind> = (1..parties).map(|offset| AgentKind::ALL[(index + offset * 3) % AgentKind::ALL.len()]).collect();
        assignments.push([vec![first], others.clone()].concat());
        assignments.push([others, vec![first]].concat());
    }
    for kinds in &assignments {
        for protocol in [Protocol::AlternatingOffers, Protocol::SingleText] {
            let session = run_session_within(problem, acceptable, kinds, &config(protocol, 40, seed), None, &cache).unwrap();
            for entry in &session.trace {
                if let Some(proposer) = entry.proposer {
                    prop_assert!(
                        acceptable.by(proposer, &entry.outcome),
                        "{:?}: party {proposer} offered {:?} outside its region",
                        kinds,
                        entry.outcome
                    );
                }
            }
            if let Some(outcome) = &session.agreement {
                prop_assert!(acceptable.by_all(outcome), "{:?} {:?}: agreement {:?} outside a region", kinds, protocol, outcome);
            }
        }
    }
    // Asked directly, at several times, about every outcome.
    let sizes = sizes_of(problem);
    let count: u64 = sizes.iter().map(|&size| u64::from(size)).product();
    let mut rng = Rng::new(seed);
    for kind in AgentKind::ALL {
        for party in 0..parties {
            let mut agent = Agent::new(kind, problem, acceptable, party, &cache).unwrap();
            for (round, time) in [(0, 0.1), (5, 0.5), (39, 0.99)] {
                for index in 0..count {
                    let outcome = decode(index, &sizes);
                    let mut turn = Turn { problem, time, round, rng: &mut rng };
                    if agent.respond(&mut turn, &outcome) == Response::Accept {
                        prop_assert!(acceptable.by(party, &outcome), "{kind} of party {party} accepted {outcome:?}");
                    }
                    if let Some(offer) = agent.propose(&mut turn) {
                        prop_assert!(acceptable.by(party, &offer), "{kind} of party {party} offered {offer:?}");
                    }
                }
            }
        }
    }
    Ok(())
}

#[test]
fn no_agent_offers_or_accepts_an_outcome_outside_its_region() {
    let shapes = (1usize..4, 2usize..5, 2usize..4, any::<u64>());
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, rng_seed: RngSeed::Fixed(7), ..Config::default() });
    runner
        .run(&shapes, |(issues, values, parties, seed)| {
            let mut rng = Rng::new(seed);
            let problem = problem(issues, values, parties, &mut rng);
            let acceptable = acceptable(&problem, &mut rng);
            check_everything(&problem, &acceptable, seed)
        })
        .unwrap();
}

#[test]
fn a_region_of_every_outcome_changes_nothing() {
    // Every agent but the random one decides exactly as without a region (the random one draws its
    // offers from its list instead of issue by issue).
    let kinds: Vec<AgentKind> = AgentKind::ALL.into_iter().filter(|kind| *kind != AgentKind::Random).collect();
    for seed in 0..6 {
        let mut rng = Rng::new(seed);
        let problem = problem(3, 4, 2, &mut rng);
        let sizes = sizes_of(&problem);
        let everything = Region::from_boxes(&sizes, &[sizes.iter().map(|&size| (0..size).collect()).collect()]);
        let acceptable = Acceptable::new(vec![Some(everything.clone()), Some(everything)]);
        for &a in &kinds {
            for &b in &kinds {
                for protocol in [Protocol::AlternatingOffers, Protocol::SingleText] {
                    let config = config(protocol, 60, seed);
                    let free = run_session_with(&problem, &[a, b], &config, None, &InverseCache::default()).unwrap();
                    let bound = run_session_within(&problem, &acceptable, &[a, b], &config, None, &InverseCache::default()).unwrap();
                    assert_eq!(free.trace, bound.trace, "{a} vs {b}, {protocol:?}, seed {seed}");
                    assert_eq!((free.agreement, free.rounds, free.offers), (bound.agreement, bound.rounds, bound.offers));
                }
            }
        }
    }
}

#[test]
fn a_party_that_may_agree_to_nothing_ends_the_negotiation() {
    let mut rng = Rng::new(4);
    let problem = problem(2, 3, 2, &mut rng);
    let nothing = Region::from_boxes(&sizes_of(&problem), &[]);
    let acceptable = Acceptable::new(vec![None, Some(nothing)]);
    for kind in AgentKind::ALL {
        let session = run_session_within(
            &problem,
            &acceptable,
            &[AgentKind::Conceder, kind],
            &config(Protocol::AlternatingOffers, 50, 1),
            None,
            &InverseCache::default(),
        )
        .unwrap();
        assert_eq!(session.agreement, None, "{kind}");
        assert_eq!(session.ended_by, Some(1), "{kind}: it has nothing to offer");
    }
}

#[test]
fn huge_spaces_keep_offers_inside_the_region() {
    // 30 issues of 4 values: about 1.15e18 outcomes, never listed; a region of two boxes.
    let mut rng = Rng::new(17);
    let problem = problem(30, 4, 2, &mut rng);
    let sizes = sizes_of(&problem);
    let first: Vec<Vec<u32>> = (0..30).map(|issue| if issue < 5 { vec![0, 1] } else { vec![0, 1, 2, 3] }).collect();
    let second: Vec<Vec<u32>> = (0..30).map(|issue| if issue < 5 { vec![3] } else { vec![1, 2] }).collect();
    let acceptable = Acceptable::new(vec![Some(Region::from_boxes(&sizes, &[first, second])), None]);
    for kinds in
        [[AgentKind::Boulware, AgentKind::Conceder], [AgentKind::Micro, AgentKind::TitForTat], [AgentKind::Random, AgentKind::Linear]]
    {
        let session =
            run_session_within(&problem, &acceptable, &kinds, &config(Protocol::AlternatingOffers, 200, 3), None, &InverseCache::default())
                .unwrap();
        assert!(session.offers > 0);
        for entry in session.trace.iter().filter(|entry| entry.proposer == Some(0)) {
            assert!(acceptable.by(0, &entry.outcome), "{kinds:?}: {:?}", entry.outcome);
        }
        if let Some(outcome) = &session.agreement {
            assert!(acceptable.by_all(outcome));
        }
    }
}

#[test]
fn a_region_without_a_rational_outcome_in_a_huge_space_ends_the_negotiation_without_a_panic() {
    // Regression: a bucketed list keeps only rational outcomes, and a time-based agent whose
    // region held none of them looked for an outcome that was not there and panicked.
    let mut rng = Rng::new(5);
    let mut problem = problem(30, 4, 2, &mut rng);
    problem.parties[0].reservation = 0.99;
    let sizes = sizes_of(&problem);
    let narrow: Vec<Vec<u32>> = (0..30).map(|issue| if issue < 20 { vec![0] } else { vec![0, 1, 2, 3] }).collect();
    let acceptable = Acceptable::new(vec![Some(Region::from_boxes(&sizes, &[narrow])), None]);
    for kind in AgentKind::ALL {
        let session = run_session_within(
            &problem,
            &acceptable,
            &[kind, AgentKind::Conceder],
            &config(Protocol::AlternatingOffers, 50, 1),
            None,
            &InverseCache::default(),
        )
        .unwrap();
        for entry in session.trace.iter().filter(|entry| entry.proposer == Some(0)) {
            assert!(acceptable.by(0, &entry.outcome), "{kind}: {:?}", entry.outcome);
        }
        if let Some(outcome) = &session.agreement {
            assert!(acceptable.by_all(outcome), "{kind}");
        }
    }
}

#[test]
fn regions_hold_exactly_the_outcomes_of_their_boxes() {
    // Boxes are merged into fewer; the union must not change.
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let sizes: Vec<u32> = (0..1 + rng.below(3)).map(|_| 1 + rng.below(3) as u32).collect();
        let boxes: Vec<Vec<Vec<u32>>> =
            (0..rng.below(6)).map(|_| sizes.iter().map(|&size| (0..size).filter(|_| rng.below(2) == 0).collect()).collect()).collect();
        let region = Region::from_boxes(&sizes, &boxes);
        let count: u64 = sizes.iter().map(|&size| u64::from(size)).product();
        for index in 0..count {
            let outcome = decode(index, &sizes);
            let brute = boxes.iter().any(|allowed| allowed.iter().zip(&outcome).all(|(values, value)| values.contains(value)));
            assert_eq!(region.contains(&outcome), brute, "seed {seed}: {boxes:?} at {outcome:?}");
        }
        assert!(region.boxes().len() <= boxes.len());
    }
}
