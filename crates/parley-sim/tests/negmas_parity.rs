//! Parity with NegMAS 0.16.0: the same agents on the same domains reach the same agreement, in the
//! same round, with the same offers. `tests/data/negmas-reference.json` holds NegMAS's runs
//! (written by `bench/negmas_sim_reference.py`); runs in which NegMAS's MiCRO drew random numbers
//! depend on Python's hash order and are skipped.

use std::path::{Path, PathBuf};

use parley_analysis::genius::{GeniusFile, LoadOptions, load_folder};
use parley_analysis::space::{Label, Problem};
use parley_sim::agents::AgentKind;
use parley_sim::inverter::InverseCache;
use parley_sim::session::{Protocol, SessionConfig, run_session_with};
use serde_json::Value;

/// NegMAS's generated domains, kept in the repository (`testdata/negmas-generated`).
fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/negmas-generated")
}

fn load(folder: &Path) -> Problem {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "xml") {
            files.push(GeniusFile::new(path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    load_folder(&folder.display().to_string(), files, None, &LoadOptions::default()).unwrap().problem
}

fn kind(name: &str) -> AgentKind {
    match name {
        "Boulware" => AgentKind::Boulware,
        "Linear" => AgentKind::Linear,
        "Conceder" => AgentKind::Conceder,
        "NaiveTitForTat" => AgentKind::TitForTat,
        "MiCRO" => AgentKind::Micro,
        "Aspiration" => AgentKind::Aspiration,
        "Hardliner" => AgentKind::Hardliner,
        other => panic!("unknown reference agent {other}"),
    }
}

fn labels(problem: &Problem, outcome: &[u32]) -> Vec<String> {
    problem
        .space
        .describe(outcome)
        .into_iter()
        .map(|(_, label)| match label {
            Label::Text(text) => text,
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn sessions_match_negmas_offer_for_offer() {
    check_against("negmas-reference.json", 150);
}

/// `tests/data/negmas-reference-extra.json` (written by `bench/negmas_extra_reference.py`): the
/// aspiration and hard-line agents, and every offer of 20 runs on spaces of 1e5 and 1e6 outcomes,
/// where agents find their offers by query instead of a sorted listing.
#[test]
fn aspiration_hardliner_and_large_spaces_match_negmas_offer_for_offer() {
    check_against("negmas-reference-extra.json", 20);
}

/// Runs every deterministic run of a reference file and compares it with NegMAS's, offer by offer
/// where the file has traces; at least `minimum` runs must be checked.
fn check_against(file: &str, minimum: usize) {
    let data = data();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file)).unwrap())
            .unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut problems: Vec<(String, Problem, InverseCache)> = Vec::new();
    for run in reference["runs"].as_array().unwrap() {
        if run["micro_random_choices"].as_u64() != Some(0) {
            continue;
        }
        let domain = run["domain"].as_str().unwrap();
        if !problems.iter().any(|(name, _, _)| name == domain) {
            problems.push((domain.to_owned(), load(&data.join(domain)), InverseCache::default()));
        }
        let (_, problem, cache) = problems.iter().find(|(name, _, _)| name == domain).unwrap();
        let kinds: Vec<AgentKind> = run["agents"].as_array().unwrap().iter().map(|agent| kind(agent.as_str().unwrap())).collect();
        let rounds = run["n_steps"].as_u64().unwrap() as u32;
        let config = SessionConfig {
            protocol: Protocol::AlternatingOffers,
            rounds,
            seed: 0,
            record_trace: run.get("trace").is_some(),
            time_limit: None,
        };
        let session = run_session_with(problem, &kinds, &config, None, cache).unwrap();
        let case = format!("{domain} {:?} {rounds} rounds", run["agents"]);
        checked += 1;

        let expected_agreement: Option<Vec<String>> = run["agreement"]
            .as_object()
            .map(|values| problem.space.issues.iter().map(|issue| values[&issue.name].as_str().unwrap().to_owned()).collect());
        let agreement = session.agreement.as_ref().map(|outcome| labels(problem, outcome));
        if agreement != expected_agreement {
            failures.push(format!("{case}: agreement {agreement:?}, NegMAS {expected_agreement:?}"));
            continue;
        }
        if u64::from(session.rounds) != run["rounds"].as_u64().unwrap() {
            failures.push(format!("{case}: {} rounds, NegMAS {}", session.rounds, run["rounds"]));
        }
        if let Some(offers) = run["n_offers"].as_u64() {
            if session.offers != offers {
                failures.push(format!("{case}: {} offers, NegMAS {offers}", session.offers));
            }
        }
        if expected_agreement.is_some() {
            let expected: Vec<f64> = run["utilities"].as_array().unwrap().iter().map(|u| u.as_f64().unwrap()).collect();
            // The reference stores utilities to 12 decimal places.
            if session.metrics.utilities.iter().zip(&expected).any(|(ours, theirs)| (ours - theirs).abs() > 1e-11) {
                failures.push(format!("{case}: utilities {:?}, NegMAS {expected:?}", session.metrics.utilities));
            }
        }
        if let Some(trace) = run.get("trace").and_then(Value::as_array) {
            for (position, (entry, ours)) in trace.iter().zip(&session.trace).enumerate() {
                let round = entry[0].as_u64().unwrap();
                let proposer = entry[1].as_u64().unwrap() as usize;
                let values: Vec<String> = entry[2].as_array().unwrap().iter().map(|value| value.as_str().unwrap().to_owned()).collect();
                if u64::from(ours.round) != round || ours.proposer != Some(proposer) || labels(problem, &ours.outcome) != values {
                    failures.push(format!(
                        "{case}: offer {position} differs: ours {:?}, NegMAS {entry}",
                        (ours.round, ours.proposer, labels(problem, &ours.outcome))
                    ));
                    break;
                }
            }
            if trace.len() != session.trace.len() {
                failures.push(format!("{case}: {} offers traced, NegMAS {}", session.trace.len(), trace.len()));
            }
        }
    }
    assert!(checked >= minimum, "only {checked} deterministic reference runs");
    assert!(failures.is_empty(), "{} of {checked} runs differ:\n{}", failures.len(), failures.join("\n"));
}
