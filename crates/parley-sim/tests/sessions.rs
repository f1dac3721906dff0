//! Sessions and tournaments: determinism, sharding, limits, reservation values and scale.

use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
use parley_sim::agents::AgentKind;
use parley_sim::rng::Rng;
use parley_sim::session::{Protocol, SessionConfig, SessionError, run_session, run_session_with};
use parley_sim::tournament::{self, Scenario, Settings, TournamentConfig};

/// A random additive problem with reservation values.
fn problem(issues: usize, values: usize, parties: usize, seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let space = OutcomeSpace {
        issues: (0..issues)
            .map(|issue| IssueSpace { name: format!("i{issue}"), values: (0..values as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let parties = (0..parties)
        .map(|party| {
            let weights: Vec<f64> = (0..issues).map(|_| rng.unit() + 0.1).collect();
            let total: f64 = weights.iter().sum();
            let tables = weights.iter().map(|weight| (0..values).map(|_| weight / total * rng.unit()).collect()).collect();
            Party {
                name: format!("p{party}"),
                utility: Utility::Additive(Additive { tables }),
                reservation: 0.1 * rng.unit(),
                discount: None,
            }
        })
        .collect();
    Problem { space, parties }
}

fn config(rounds: u32) -> SessionConfig {
    SessionConfig { protocol: Protocol::AlternatingOffers, rounds, seed: 3, record_trace: true, time_limit: None }
}

#[test]
fn impossible_settings_are_refused() {
    let two = problem(3, 4, 2, 1);
    let kinds = [AgentKind::Boulware, AgentKind::Conceder];
    assert_eq!(run_session(&two, &kinds, &config(0), None).unwrap_err(), SessionError::NoRounds);
    assert!(matches!(run_session(&two, &kinds[..1], &config(10), None), Err(SessionError::AgentCount { .. })));
    let one = problem(3, 4, 1, 1);
    assert_eq!(run_session(&one, &kinds[..1], &config(10), None).unwrap_err(), SessionError::TooFewParties(1));
    let nothing = Problem { space: OutcomeSpace::default(), parties: two.parties.clone() };
    assert_eq!(run_session(&nothing, &kinds, &config(10), None).unwrap_err(), SessionError::NoIssues);
    assert!("haggler".parse::<AgentKind>().unwrap_err().to_string().contains("known agents: boulware"));
}

#[test]
fn rational_agents_never_agree_below_their_reservation_value() {
    let rational = [AgentKind::Boulware, AgentKind::Linear, AgentKind::Conceder, AgentKind::Micro, AgentKind::Hardliner];
    for seed in 0..40 {
        let problem = problem(3, 5, 2, seed);
        for a in rational {
            for b in rational {
                let session = run_session(&problem, &[a, b], &config(60), None).unwrap();
                if let Some(outcome) = &session.agreement {
                    for (party, utility) in problem.utilities(outcome).iter().enumerate() {
                        assert!(*utility >= problem.parties[party].reservation, "{a} vs {b}, seed {seed}: party {party} got {utility}");
                    }
                }
                // Every offer is recorded with the round it was made in, in order.
                assert!(session.trace.windows(2).all(|pair| pair[0].round <= pair[1].round));
            }
        }
    }
}

#[test]
fn a_time_limit_ends_the_session() {
    let problem = problem(3, 4, 2, 1);
    let mut limited = config(1_000_000);
    limited.time_limit = Some(std::time::Duration::from_millis(20));
    let started = std::time::Instant::now();
    let session = run_session(&problem, &[AgentKind::Hardliner, AgentKind::Hardliner], &limited, None).unwrap();
    assert!(session.agreement.is_none());
    assert!(session.rounds < 1_000_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn sessions_are_deterministic_for_a_seed() {
    let problem = problem(4, 5, 3, 9);
    let kinds = [AgentKind::Random, AgentKind::Micro, AgentKind::Aspiration];
    let first = run_session(&problem, &kinds, &config(80), None).unwrap();
    let second = run_session(&problem, &kinds, &config(80), None).unwrap();
    assert_eq!(first.trace, second.trace);
    assert_eq!(first.agreement, second.agreement);
}

#[test]
fn single_text_converges_on_a_shared_interest() {
    let problem = problem(4, 4, 3, 5);
    let session = run_session(
        &problem,
        &[AgentKind::Conceder, AgentKind::Linear, AgentKind::Conceder],
        &SessionConfig { protocol: Protocol::SingleText, rounds: 100, seed: 1, record_trace: true, time_limit: None },
        None,
    )
    .unwrap();
    assert!(session.agreement.is_some(), "{session:?}");
    assert!(session.trace.iter().all(|entry| entry.proposer.is_none()), "texts come from the mediator");
}

#[test]
fn huge_spaces_are_negotiated_without_listing_them() {
    // 30 issues of 4 values: about 1.15e18 outcomes.
    let problem = problem(30, 4, 2, 17);
    let session = run_session(&problem, &[AgentKind::Boulware, AgentKind::Conceder], &config(200), None).unwrap();
    assert!(session.agreement.is_some());
    let session = run_session(&problem, &[AgentKind::Micro, AgentKind::TitForTat], &config(200), None).unwrap();
    assert!(session.offers > 0);
}

/// A session one of whose queries on running totals fails (no window within their limit holds the
/// answer) is run again with every party on listings: the same session as on listings alone.
#[test]
fn a_session_whose_running_totals_give_up_falls_back_to_listings() {
    // 30 issues of 4 values on a grid (running totals: about 800,000 over the whole range).
    let tables: Vec<Vec<f64>> =
        (0..30u32).map(|issue| (0..4u32).map(|value| f64::from(1 + (issue * 389 + value * 677) % 1000) / 30_000.0).collect()).collect();
    let reversed: Vec<Vec<f64>> = tables.iter().map(|table| table.iter().rev().copied().collect()).collect();
    let party =
        |name: &str, tables| Party { name: name.into(), utility: Utility::Additive(Additive { tables }), reservation: 0.0, discount: None };
    let space = OutcomeSpace {
        issues: (0..30).map(|issue| IssueSpace { name: format!("i{issue}"), values: (0..4).map(Label::Integer).collect() }).collect(),
    };
    let problem = Problem { space, parties: vec![party("a", tables), party("b", reversed)] };
    let listings = parley_sim::inverter::InverseCache::listings_only();
    let exact = parley_sim::inverter::InverseCache::default();
    // Tit-for-tat asks positions near the best (a walk down that fails past the limit).
    for kinds in [[AgentKind::Conceder, AgentKind::Conceder], [AgentKind::TitForTat, AgentKind::Conceder]] {
        let small = parley_sim::inverter::InverseCache::with_sums_limit(50_000);
        let given_up = run_session_with(&problem, &kinds, &config(100), None, &small).unwrap();
        let listed = run_session_with(&problem, &kinds, &config(100), None, &listings).unwrap();
        assert_eq!(given_up.agreement, listed.agreement);
        assert_eq!(given_up.trace, listed.trace);
        // Within the default limit the session is exact, and not the one on listings.
        let exact = run_session_with(&problem, &kinds, &config(100), None, &exact).unwrap();
        assert_ne!(exact.trace, listed.trace, "{kinds:?}: the fallback changed nothing, so this test shows nothing");
        // Run again on the cache whose totals failed before: the same session.
        let again = run_session_with(&problem, &kinds, &config(100), None, &small).unwrap();
        assert_eq!(again.trace, given_up.trace);
    }
}

fn tournament_config(shard: Option<(usize, usize)>) -> TournamentConfig {
    TournamentConfig {
        agents: vec![AgentKind::Boulware, AgentKind::Conceder, AgentKind::TitForTat, AgentKind::Micro, AgentKind::Random],
        settings: Settings {
            repetitions: 2,
            rounds: 50,
            time_limit: None,
            protocol: Protocol::AlternatingOffers,
            self_play: true,
            rotate: true,
            seed: 11,
        },
        shard,
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![Scenario::new("a", problem(3, 4, 2, 1), None), Scenario::new("b", problem(2, 6, 3, 2), None)]
}

#[test]
fn tournaments_do_not_depend_on_the_number_of_threads() {
    let scenarios = scenarios();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| tournament::run(&tournament_config(None), &scenarios, &|_, _| {}))
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one, two);
    assert_eq!(tournament::run_here(&tournament_config(None), &scenarios, &|_, _| {}), one, "on the calling thread");
    // 5 agents: 25 pairs × 2 rotations × 2 repetitions, plus 125 triples × 3 rotations × 2.
    assert_eq!(one.results.len(), 25 * 2 * 2 + 125 * 3 * 2);
    assert!(!tournament::ranking(&one).is_empty());
}

#[test]
fn shards_merge_into_exactly_one_run() {
    let scenarios = scenarios();
    let whole = tournament::run(&tournament_config(None), &scenarios, &|_, _| {});
    let shards: Vec<_> = (0..3).map(|shard| tournament::run(&tournament_config(Some((shard, 3))), &scenarios, &|_, _| {})).collect();
    let merged = tournament::merge(shards.clone()).unwrap();
    assert_eq!(merged, whole);
    assert!(matches!(tournament::merge(shards[..2].to_vec()), Err(tournament::MergeError::Incomplete { .. })));
    assert!(matches!(
        tournament::merge(vec![shards[0].clone(), shards[0].clone(), shards[1].clone(), shards[2].clone()]),
        Err(tournament::MergeError::Duplicate(_))
    ));
    assert_eq!(tournament::merge(Vec::new()), Err(tournament::MergeError::Empty));
    // A shard of the same tournament with another seed, round limit or protocol is refused.
    let mut reseeded = tournament_config(Some((2, 3)));
    reseeded.settings.seed += 1;
    let mut shorter = tournament_config(Some((2, 3)));
    shorter.settings.rounds -= 1;
    let mut mediated = tournament_config(Some((2, 3)));
    mediated.settings.protocol = Protocol::SingleText;
    for other in [reseeded, shorter, mediated] {
        let odd = tournament::run(&other, &scenarios, &|_, _| {});
        assert!(
            matches!(tournament::merge(vec![shards[0].clone(), shards[1].clone(), odd]), Err(tournament::MergeError::Mismatch(_))),
            "{other:?}"
        );
    }
}

/// A job whose agent cannot be set up (Boulware needs a sorted inverse, which a non-additive party
/// on a space of 16.7 million outcomes cannot have) keeps its place with an error and no metrics,
/// and the ranking counts only the jobs that ran.
#[test]
fn a_job_that_cannot_run_is_recorded_and_left_out_of_the_ranking() {
    use parley_analysis::space::{Rectangle, Rectangles};
    let mut problem = problem(8, 8, 2, 5);
    problem.parties[1].utility = Utility::Rectangles(Rectangles {
        rectangles: vec![Rectangle { bonus: 1.0, includes: vec![(0, 0, 3)], excludes: Vec::new() }],
        max_utility: 1.0,
        weight: 1.0,
    });
    let config = TournamentConfig {
        agents: vec![AgentKind::Boulware, AgentKind::Random],
        settings: Settings {
            repetitions: 1,
            rounds: 20,
            time_limit: None,
            protocol: Protocol::AlternatingOffers,
            self_play: true,
            rotate: false,
            seed: 1,
        },
        shard: None,
    };
    let result = tournament::run(&config, &[Scenario::new("big", problem, None)], &|_, _| {});
    let (failed, ran): (Vec<_>, Vec<_>) = result.results.iter().partition(|job| job.error.is_some());
    // Boulware on the non-additive party cannot start; Random needs no inverse.
    assert!(failed.iter().all(|job| job.agents[1] == "boulware"), "{failed:?}");
    assert_eq!(failed.len(), 2, "boulware/boulware and random/boulware");
    for job in &failed {
        assert!(job.error.as_deref().unwrap().contains("not additive"), "{:?}", job.error);
        assert_eq!((job.rounds, &job.metrics), (0, &parley_sim::metrics::Metrics::default()));
    }
    let ranking = tournament::ranking(&result);
    for rank in &ranking {
        let expected: usize = ran.iter().map(|job| job.agents.iter().filter(|agent| **agent == rank.agent).count()).sum();
        assert_eq!(rank.negotiations, expected, "{}", rank.agent);
    }
}

/// `tournament --reps 4294967295` listed every job before refusing anything (4 GB); the command
/// line now counts them first with `job_count`, which must agree with the list it stands for.
#[test]
fn job_count_equals_the_jobs_listed() {
    for agents in 1..=4 {
        for self_play in [true, false] {
            for rotate in [true, false] {
                for repetitions in 1..=3 {
                    let scenarios: Vec<Scenario> =
                        [2, 3, 4].iter().map(|&parties| Scenario::new("s", problem(2, 2, parties, 5), None)).collect();
                    let config = TournamentConfig {
                        agents: AgentKind::ALL[..agents].to_vec(),
                        settings: Settings {
                            repetitions,
                            rounds: 10,
                            time_limit: None,
                            protocol: Protocol::AlternatingOffers,
                            self_play,
                            rotate,
                            seed: 1,
                        },
                        shard: None,
                    };
                    let parties: Vec<usize> = scenarios.iter().map(|scenario| scenario.problem.parties.len()).collect();
                    let listed = tournament::jobs(&config, &scenarios).len() as u128;
                    assert_eq!(tournament::job_count(&config, &parties), listed, "{agents} agents, {self_play} {rotate} {repetitions}");
                }
            }
        }
    }
}
