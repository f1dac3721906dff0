//! Tournaments: agents × scenarios × repetitions, with role rotation and optional self-play, run in
//! parallel; deterministic for a seed whatever the number of threads, and divisible into shards
//! that merge into exactly the result of one run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parley_analysis::space::Problem;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::acceptable::Acceptable;
use crate::agents::AgentKind;
use crate::inverter::InverseCache;
use crate::metrics::{Metrics, Reference};
use crate::rng::Rng;
use crate::session::{Protocol, SessionConfig, run_session_within};

/// A scenario of a tournament: a named problem with its reference analysis.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub problem: Arc<Problem>,
    pub reference: Option<Arc<Reference>>,
    /// Agents' sorted outcome lists, built once and shared by every session of the scenario.
    pub cache: Arc<InverseCache>,
    /// The outcomes each party may agree to (every outcome by default).
    pub acceptable: Arc<Acceptable>,
    /// Names the constraints an agreement breaks (a scenario's red lines), when there are any.
    pub judge: Option<Arc<dyn Judge>>,
}

/// What a scenario says of an agreement besides utilities: the constraints (red lines) it breaks.
pub trait Judge: Send + Sync + std::fmt::Debug {
    /// Names of the constraints the agreed outcome breaks.
    fn breaks(&self, outcome: &[u32]) -> Vec<String>;
}

impl Scenario {
    pub fn new(name: impl Into<String>, problem: Problem, reference: Option<Reference>) -> Scenario {
        Scenario {
            name: name.into(),
            problem: Arc::new(problem),
            reference: reference.map(Arc::new),
            cache: Arc::new(InverseCache::default()),
            acceptable: Arc::default(),
            judge: None,
        }
    }

    /// The scenario with a judge of its agreements.
    pub fn with_judge(self, judge: Arc<dyn Judge>) -> Scenario {
        Scenario { judge: Some(judge), ..self }
    }

    /// The scenario with each party's agent bound to the outcomes `acceptable` lets it agree to.
    pub fn with_acceptable(self, acceptable: Acceptable) -> Scenario {
        // The cached lists depend on the regions: a fresh cache for the new ones.
        Scenario { acceptable: Arc::new(acceptable), cache: Arc::new(InverseCache::default()), ..self }
    }
}

#[derive(Clone, Debug)]
pub struct TournamentConfig {
    pub agents: Vec<AgentKind>,
    /// Everything else that shapes the results (recorded with them).
    pub settings: Settings,
    /// Run only jobs `index % count == shard` (shard, count).
    pub shard: Option<(usize, usize)>,
}

/// One negotiation of a tournament.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Position in the full tournament's job list: results are ordered by it.
    pub index: usize,
    pub scenario: usize,
    /// The agent kind (index into the agents list) playing each party, in party order.
    pub agents: Vec<usize>,
    pub repetition: u32,
    pub seed: u64,
}

/// The outcome of one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub index: usize,
    pub scenario: String,
    pub agents: Vec<String>,
    pub repetition: u32,
    pub seed: u64,
    pub rounds: u32,
    /// What the session achieved (all default when it could not run).
    #[serde(flatten)]
    pub metrics: Metrics,
    /// Set when the session could not run (for example, an agent cannot invert a huge
    /// non-additive utility).
    pub error: Option<String>,
    /// The constraints (a scenario's red lines) the agreement breaks, as its judge names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreement_breaks: Vec<String>,
}

/// All results of a tournament (or of one shard of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TournamentResult {
    pub agents: Vec<String>,
    pub scenarios: Vec<String>,
    /// Everything else that decides the jobs' outcomes: shards merge only when these agree.
    pub settings: Settings,
    pub total_jobs: usize,
    pub shard: Option<(usize, usize)>,
    pub results: Vec<JobResult>,
}

/// The settings of a tournament that shape its results, as recorded with them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub repetitions: u32,
    pub rounds: u32,
    /// A wall-clock deadline per negotiation (results then depend on speed); in seconds in JSON.
    #[serde(rename = "time_limit_seconds", with = "seconds")]
    pub time_limit: Option<std::time::Duration>,
    pub protocol: Protocol,
    /// Let an agent type negotiate against itself.
    pub self_play: bool,
    /// Run every assignment in every rotation of the parties' profiles.
    pub rotate: bool,
    pub seed: u64,
}

impl Settings {
    /// How one of the tournament's negotiations runs, with its own seed.
    pub fn session(&self, seed: u64) -> SessionConfig {
        SessionConfig { protocol: self.protocol, rounds: self.rounds, seed, record_trace: false, time_limit: self.time_limit }
    }
}

/// An optional duration as a number of seconds.
mod seconds {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(limit: &Option<std::time::Duration>, serializer: S) -> Result<S::Ok, S::Error> {
        match limit {
            Some(limit) => serializer.serialize_some(&limit.as_secs_f64()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<std::time::Duration>, D::Error> {
        let seconds = Option::<f64>::deserialize(deserializer)?;
        seconds.map(|seconds| std::time::Duration::try_from_secs_f64(seconds).map_err(serde::de::Error::custom)).transpose()
    }
}

/// Every job of a tournament, in a fixed order.
pub fn jobs(config: &TournamentConfig, scenarios: &[Scenario]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (scenario_index, scenario) in scenarios.iter().enumerate() {
        let parties = scenario.problem.parties.len();
        // Ordered assignments of agent kinds to parties.
        let mut assignments: Vec<Vec<usize>> = vec![Vec::new()];
        for _ in 0..parties {
            let mut next = Vec::new();
            for partial in &assignments {
                for agent in 0..config.agents.len() {
                    if !config.settings.self_play && partial.contains(&agent) {
                        continue;
                    }
                    let mut extended = partial.clone();
                    extended.push(agent);
                    next.push(extended);
                }
            }
            assignments = next;
        }
        let rotations = if config.settings.rotate { parties.max(1) } else { 1 };
        for assignment in &assignments {
            for rotation in 0..rotations {
                // Rotating the profiles is assigning the rotated agents to the parties.
                let rotated: Vec<usize> = (0..parties).map(|party| assignment[(party + rotation) % parties]).collect();
                for repetition in 0..config.settings.repetitions {
                    let index = jobs.len();
                    let seed = Rng::derive(config.settings.seed, &[scenario_index as u64, index as u64, u64::from(repetition)]);
                    jobs.push(Job { index, scenario: scenario_index, agents: rotated.clone(), repetition, seed });
                }
            }
        }
    }
    jobs
}

/// Runs a tournament (or its shard) in parallel, on the current rayon pool; `progress` is called
/// after each job.
pub fn run(config: &TournamentConfig, scenarios: &[Scenario], progress: &(dyn Fn(usize, usize) + Sync)) -> TournamentResult {
    run_jobs(config, scenarios, progress, true)
}

/// As [`run`], every job on the calling thread: one worker costs no thread to start and hand
/// the jobs to (the results are the same, in job order).
pub fn run_here(config: &TournamentConfig, scenarios: &[Scenario], progress: &(dyn Fn(usize, usize) + Sync)) -> TournamentResult {
    run_jobs(config, scenarios, progress, false)
}

fn run_jobs(
    config: &TournamentConfig,
    scenarios: &[Scenario],
    progress: &(dyn Fn(usize, usize) + Sync),
    parallel: bool,
) -> TournamentResult {
    let all = jobs(config, scenarios);
    let total_jobs = all.len();
    let selected: Vec<Job> = match config.shard {
        Some((shard, count)) => all.into_iter().filter(|job| job.index % count == shard).collect(),
        None => all,
    };
    let done = AtomicUsize::new(0);
    let selected_count = selected.len();
    let one = |job: &Job| {
        let result = run_job(config, scenarios, job);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, selected_count);
        result
    };
    let mut results: Vec<JobResult> = if parallel { selected.par_iter().map(one).collect() } else { selected.iter().map(one).collect() };
    results.sort_by_key(|result| result.index);
    TournamentResult {
        agents: config.agents.iter().map(|agent| agent.name().to_owned()).collect(),
        scenarios: scenarios.iter().map(|scenario| scenario.name.clone()).collect(),
        settings: config.settings.clone(),
        total_jobs,
        shard: config.shard,
        results,
    }
}

fn run_job(config: &TournamentConfig, scenarios: &[Scenario], job: &Job) -> JobResult {
    let scenario = &scenarios[job.scenario];
    let kinds: Vec<AgentKind> = job.agents.iter().map(|&agent| config.agents[agent]).collect();
    let session = config.settings.session(job.seed);
    let names: Vec<String> = kinds.iter().map(|kind| kind.name().to_owned()).collect();
    let base = JobResult {
        index: job.index,
        scenario: scenario.name.clone(),
        agents: names,
        repetition: job.repetition,
        seed: job.seed,
        rounds: 0,
        metrics: Metrics::default(),
        error: None,
        agreement_breaks: Vec::new(),
    };
    match run_session_within(&scenario.problem, &scenario.acceptable, &kinds, &session, scenario.reference.as_deref(), &scenario.cache) {
        Ok(session) => {
            let agreement_breaks = match (&session.agreement, &scenario.judge) {
                (Some(outcome), Some(judge)) => judge.breaks(outcome),
                _ => Vec::new(),
            };
            JobResult { rounds: session.rounds, metrics: session.metrics, agreement_breaks, ..base }
        }
        Err(error) => JobResult { error: Some(error.to_string()), ..base },
    }
}

/// Why shards cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("the shards come from different tournaments ({0} differ)")]
    Mismatch(&'static str),
    #[error("no shards to merge")]
    Empty,
    #[error("job {0} appears in two shards")]
    Duplicate(usize),
    #[error("{missing} of {total} jobs are missing (shards not all present?)")]
    Incomplete { missing: usize, total: usize },
}

/// Combines shards into the result of one run.
pub fn merge(shards: Vec<TournamentResult>) -> Result<TournamentResult, MergeError> {
    let mut shards = shards.into_iter();
    let Some(mut merged) = shards.next() else { return Err(MergeError::Empty) };
    for shard in shards {
        let differing = if shard.agents != merged.agents {
            Some("agents")
        } else if shard.scenarios != merged.scenarios {
            Some("scenarios")
        } else if shard.settings != merged.settings {
            Some("settings (repetitions, rounds, time limit, protocol, self-play, rotation or seed)")
        } else if shard.total_jobs != merged.total_jobs {
            Some("job counts")
        } else {
            None
        };
        if let Some(what) = differing {
            return Err(MergeError::Mismatch(what));
        }
        merged.results.extend(shard.results);
    }
    merged.results.sort_by_key(|result| result.index);
    for pair in merged.results.windows(2) {
        if pair[0].index == pair[1].index {
            return Err(MergeError::Duplicate(pair[0].index));
        }
    }
    if merged.results.len() != merged.total_jobs {
        return Err(MergeError::Incomplete { missing: merged.total_jobs - merged.results.len(), total: merged.total_jobs });
    }
    merged.shard = None;
    Ok(merged)
}

/// One line of the ranking.
#[derive(Clone, Debug, Serialize)]
pub struct Rank {
    pub agent: String,
    pub negotiations: usize,
    pub agreement_rate: f64,
    pub mean_utility: f64,
    pub mean_advantage: f64,
}

/// Agents ranked by mean advantage (utility over reservation value) across their roles.
pub fn ranking(result: &TournamentResult) -> Vec<Rank> {
    let mut ranks: Vec<Rank> = result
        .agents
        .iter()
        .map(|agent| {
            let mut negotiations = 0;
            let (mut agreements, mut utility, mut advantage) = (0usize, 0.0, 0.0);
            for job in result.results.iter().filter(|job| job.error.is_none()) {
                for (party, name) in job.agents.iter().enumerate() {
                    if name == agent {
                        negotiations += 1;
                        agreements += usize::from(job.metrics.agreement);
                        utility += job.metrics.utilities[party];
                        advantage += job.metrics.advantages[party];
                    }
                }
            }
            let count = negotiations.max(1) as f64;
            Rank {
                agent: agent.clone(),
                negotiations,
                agreement_rate: agreements as f64 / count,
                mean_utility: utility / count,
                mean_advantage: advantage / count,
            }
        })
        .collect();
    ranks.sort_by(|a, b| b.mean_advantage.total_cmp(&a.mean_advantage).then(a.agent.cmp(&b.agent)));
    ranks
}

/// How many jobs [`jobs`] would list for scenarios of these numbers of parties, counted without
/// listing them (so that a tournament too large to hold is refused before anything is allocated,
/// or any scenario analysed). Saturates rather than overflowing.
pub fn job_count(config: &TournamentConfig, parties_per_scenario: &[usize]) -> u128 {
    let agents = config.agents.len() as u128;
    parties_per_scenario.iter().fold(0u128, |total, &parties| {
        let assignments = (0..parties as u128).fold(1u128, |count, taken| {
            let choices = if config.settings.self_play { agents } else { agents.saturating_sub(taken) };
            count.saturating_mul(choices)
        });
        let rotations = if config.settings.rotate { parties.max(1) as u128 } else { 1 };
        total.saturating_add(assignments.saturating_mul(rotations).saturating_mul(u128::from(config.settings.repetitions)))
    })
}
